"""Domain errors raised by services and rendered by `serviceengine.api.exceptions.handle`."""


class DomainError(Exception):
    """A business-rule failure with the HTTP status the contract gives it.

    Two shapes (contract §7):
    - `DomainError(400, detail="Cannot send proposal with status Sent")` renders `{"detail": ...}`;
    - `DomainError(422, field="user_id", message="The specified client does not exist.")` renders the
      validation envelope `{"message": "The given data was invalid.", "errors": {"user_id": [...]}}`.
    """

    def __init__(self, status: int, *, detail: str | None = None, field: str | None = None, message: str | None = None):
        if (detail is None) == (field is None):
            raise ValueError("DomainError takes either detail= or field= with message=")
        if field is not None and not message:
            raise ValueError("DomainError(field=...) needs a message")
        self.status = status
        self.detail = detail
        self.field = field
        self.message = message
        super().__init__(detail or f"{field}: {message}")

    @property
    def errors(self) -> dict[str, list[str]] | None:
        return {self.field: [self.message]} if self.field is not None else None
