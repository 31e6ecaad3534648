"""Every validation message the API sends, worded exactly as the contract (README §5, §7) words them."""

INVALID_DATA = "The given data was invalid."

FIELD_REQUIRED = "Field required"
STRING_TYPE = "Input should be a valid string"
STRING_TOO_SHORT = "String should have at least {min_length} character{plural}"
STRING_TOO_LONG = "String should have at most {max_length} characters"
STRING_PATTERN = "String should match pattern '{pattern}'"
NULL_CHARACTERS = "String should not contain null characters"

INT_TYPE = "Input should be a valid integer"
INT_FRACTION = "Input should be a valid integer, got a number with a fractional part"
INT_PARSING = "Input should be a valid integer, unable to parse string as an integer"

NUMBER_TYPE = "Input should be a valid number"
NUMBER_PARSING = "Input should be a valid number, unable to parse string as a number"
NUMBER_FINITE = "Input should be a finite number"

GREATER_EQUAL = "Input should be greater than or equal to {limit}"
LESS_EQUAL = "Input should be less than or equal to {limit}"

BOOL_TYPE = "Input should be a valid boolean"
BOOL_PARSING = "Input should be a valid boolean, unable to interpret input"

DICT_TYPE = "Input should be a valid dictionary"
OBJECT_TYPE = "Input should be a valid dictionary or object to extract fields from"
LIST_TYPE = "Input should be a valid list"
LIST_TOO_SHORT = "List should have at least {min_length} item{plural} after validation, not {actual}"
LIST_TOO_LONG = "List should have at most {max_length} items after validation, not {actual}"

DATETIME_TYPE = "Input should be a valid datetime"
EMAIL_INVALID = "value is not a valid email address: {reason}"

JSON_DECODE = "JSON decode error"
FILTER_INVALID = "The filter value is invalid."

UNAUTHORIZED = "Unauthorized"
TOKEN_EXPIRED = "Token expired"
NOT_FOUND = "Not Found"
METHOD_NOT_ALLOWED = "Method Not Allowed"
BODY_TOO_LARGE = "Request body too large."
INTERNAL_ERROR = "Internal server error."
TOO_MANY_REQUESTS = "Too many requests."
READ_ONLY_TOKEN = "This token is read-only."
SERVICE_UNAVAILABLE = "Service temporarily unavailable."


def plural(n: int) -> str:
    return "" if n == 1 else "s"
