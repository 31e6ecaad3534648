"""The documents a client sees and signs, and the PDFs of proposals and invoices (issue 15).

`proposal_document()` renders the proposal as the HTML fragment shown on the client page; signing stores that
exact HTML and its SHA-256 as evidence, so it must be a pure function of the proposal (no request, no clock).
PDFs are drawn with fpdf2 (pure Python) in a core font: their text is extractable. Core fonts cover Latin-1
only, so other characters are transliterated (`pdf_text`).
"""
import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import timezone as dt_timezone
from decimal import Decimal

from django.template.loader import render_to_string
from fpdf import FPDF

from .models import InvoiceItem, ProposalItem


@dataclass(frozen=True)
class Line:
    name: str
    description: str | None
    quantity: int
    price: Decimal
    amount: Decimal


def proposal_lines(proposal) -> list[Line]:
    """Items in creation order, with their service's current name (soft-deleted services included)."""
    items = getattr(proposal, "item_list", None)
    if items is None:
        items = ProposalItem.objects.for_org(proposal.organization_id).filter(proposal=proposal)
        items = list(items.select_related("service").order_by("created_at", "id"))
    return [
        Line(
            name=item.service.name if item.service else "Service",
            description=item.service.description if item.service else None,
            quantity=item.quantity,
            price=item.price,
            amount=item.price * item.quantity,
        )
        for item in items
    ]


def invoice_items(invoice) -> list:
    items = getattr(invoice, "item_list", None)
    if items is None:
        items = list(InvoiceItem.objects.for_org(invoice.organization_id).filter(invoice=invoice).order_by("created_at", "id"))
    return items


def client_name(proposal) -> str:
    return f"{proposal.client_name_f or ''} {proposal.client_name_l or ''}".strip()


def proposal_document(proposal, organization) -> str:
    """The HTML fragment of the proposal as the client reads (and signs) it."""
    return render_to_string(
        "billing/proposal_document.html",
        {"proposal": proposal, "organization": organization, "client_name": client_name(proposal),
         "lines": proposal_lines(proposal)},
    )


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- PDFs -----------------------------------------------------------------------------------------------------


# Letters and signs outside Latin-1 that do not decompose into a Latin-1 base letter.
TRANSLITERATIONS = str.maketrans({
    "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Œ": "OE", "œ": "oe", "ı": "i", "Ħ": "H", "ħ": "h",
    "–": "-", "—": "-", "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "…": "...", "€": "EUR",
    "•": "*", " ": " ",
})


def pdf_text(value) -> str:
    """`value` as text a core PDF font can show: Latin-1 kept, accents folded, anything else as `?`."""
    text = ("" if value is None else str(value)).translate(TRANSLITERATIONS)
    out = []
    for char in text:
        if ord(char) < 256:
            out.append(char)
            continue
        folded = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
        out.append(folded or "?")
    return "".join(out)


def money(value) -> str:
    return f"{Decimal(value or 0):,.2f}"


def stamp(value) -> str:
    return value.astimezone(dt_timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


class Document(FPDF):
    def __init__(self, title: str, organization_name: str):
        super().__init__(format="A4")
        self.set_title(pdf_text(title))
        self.set_author(pdf_text(organization_name))
        self.set_creator("Service Engine X")
        self.set_auto_page_break(auto=True, margin=15)
        self.add_page()
        self.set_font("Helvetica", "B", 16)
        self.cell(0, 9, pdf_text(organization_name), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 13)
        self.cell(0, 8, pdf_text(title), new_x="LMARGIN", new_y="NEXT")
        self.ln(3)

    def text_line(self, text: str, *, bold: bool = False, size: int = 10):
        self.set_font("Helvetica", "B" if bold else "", size)
        self.multi_cell(0, 5.5, pdf_text(text), new_x="LMARGIN", new_y="NEXT")

    def table(self, header: tuple, rows: list[tuple], widths: tuple):
        self.set_font("Helvetica", "B", 10)
        for text, width in zip(header, widths, strict=True):
            self.cell(width, 7, pdf_text(text), border="B", align="L" if width == widths[0] else "R")
        self.ln()
        self.set_font("Helvetica", "", 10)
        for row in rows:
            for index, (text, width) in enumerate(zip(row, widths, strict=True)):
                value = pdf_text(text)
                if index == 0 and self.get_string_width(value) > width - 2:
                    while value and self.get_string_width(value + "...") > width - 2:
                        value = value[:-1]
                    value += "..."
                self.cell(width, 6.5, value, align="L" if index == 0 else "R")
            self.ln()

    def total_line(self, label: str, value: str, widths: tuple, *, bold: bool = False):
        self.set_font("Helvetica", "B" if bold else "", 10)
        self.cell(sum(widths[:-1]), 6.5, pdf_text(label), align="R")
        self.cell(widths[-1], 6.5, pdf_text(value), align="R")
        self.ln()

    def render(self) -> bytes:
        return bytes(self.output())


def proposal_pdf(proposal, organization, signature=None) -> bytes:
    """The proposal: items, total, notes; and, once signed, the signature block with its evidence."""
    pdf = Document(f"Proposal for {client_name(proposal)}", organization.name)
    pdf.text_line(f"Client: {client_name(proposal)} <{proposal.client_email}>")
    if proposal.client_company:
        pdf.text_line(f"Company: {proposal.client_company}")
    pdf.text_line(f"Status: {proposal.status_label}")
    if proposal.sent_at:
        pdf.text_line(f"Sent: {stamp(proposal.sent_at)}")
    pdf.ln(3)
    widths = (100, 20, 35, 35)
    rows = [(line.name, str(line.quantity), money(line.price), money(line.amount)) for line in proposal_lines(proposal)]
    pdf.table(("Service", "Qty", "Price", "Amount"), rows, widths)
    pdf.total_line("Total", money(proposal.total), widths, bold=True)
    if proposal.notes:
        pdf.ln(3)
        pdf.text_line(f"Notes: {proposal.notes}")
    if signature is not None:
        pdf.ln(5)
        pdf.text_line("Signature", bold=True, size=12)
        pdf.text_line(f"Signed by: {signature.name} <{signature.email}>")
        pdf.text_line(f"Signed at: {stamp(signature.signed_at)}")
        pdf.text_line(f"IP address: {signature.ip_address or 'unknown'}")
        pdf.text_line(f"User agent: {signature.user_agent or 'unknown'}")
        pdf.text_line(f"Document SHA-256: {signature.document_sha256}")
    return pdf.render()


def invoice_pdf(invoice, organization) -> bytes:
    """The invoice: client, lines, subtotal, tax, total, status; the payment when paid."""
    pdf = Document(f"Invoice {invoice.number}", organization.name)
    user = invoice.user
    if user is not None:
        name = f"{user.name_f or ''} {user.name_l or ''}".strip()
        pdf.text_line(f"Billed to: {name} <{user.email or ''}>".replace(" <>", ""))
        if user.company:
            pdf.text_line(f"Company: {user.company}")
    pdf.text_line(f"Status: {invoice.status_label}")
    pdf.text_line(f"Issued: {stamp(invoice.created_at)}")
    if invoice.date_due:
        pdf.text_line(f"Due: {stamp(invoice.date_due)}")
    pdf.ln(3)
    widths = (100, 20, 35, 35)
    rows = [(item.name, str(item.quantity), money(item.amount), money(item.total)) for item in invoice_items(invoice)]
    pdf.table(("Item", "Qty", "Amount", "Total"), rows, widths)
    pdf.total_line("Subtotal", money(invoice.subtotal), widths)
    if invoice.discount:
        pdf.total_line("Discount", f"-{money(invoice.discount)}", widths)
    pdf.total_line(invoice.tax_name or "Tax", money(invoice.tax), widths)
    pdf.total_line(f"Total ({invoice.currency})", money(invoice.total), widths, bold=True)
    if invoice.date_paid:
        pdf.ln(5)
        pdf.text_line("Receipt", bold=True, size=12)
        pdf.text_line(f"Paid: {stamp(invoice.date_paid)}")
        if invoice.paysys:
            pdf.text_line(f"Payment: {invoice.paysys}")
        if invoice.transaction_id:
            pdf.text_line(f"Transaction: {invoice.transaction_id}")
    if invoice.note:
        pdf.ln(3)
        pdf.text_line(f"Note: {invoice.note}")
    return pdf.render()
