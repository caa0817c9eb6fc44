"""An issued invoice as HTML and as PDF (WeasyPrint, from the same HTML).

Rendered from the invoice's own fact only — its lines, totals, and the seller and buyer as
they were frozen at issue — so the bytes of an issued invoice's PDF never change, whatever
happens later (the document's dates are its issue date, not the rendering time).
"""

from __future__ import annotations

import os
from typing import Any, Protocol
from uuid import UUID

from jinja2 import Environment, select_autoescape

from domain.model.invoice import Invoice, InvoiceKind, InvoiceLine
from domain.model.money import Money

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ title }} {{ inv.number }}</title>
<meta name="dcterms.created" content="{{ inv.issue_date.isoformat() }}">
<meta name="dcterms.modified" content="{{ inv.issue_date.isoformat() }}">
<meta name="author" content="{{ inv.seller.get('name', '') }}">
<style>
  @page { size: A4; margin: 18mm 16mm; }
  body { font-family: sans-serif; font-size: 9.5pt; color: #222; }
  h1 { font-size: 16pt; margin: 0 0 4mm; }
  .parties { display: flex; justify-content: space-between; margin-bottom: 6mm; }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: left; padding: 1.5mm 1mm; border-bottom: 0.3pt solid #bbb; }
  td { vertical-align: top; }
  td.n, th.n { text-align: right; white-space: nowrap; }
  .formula { color: #666; font-size: 8pt; }
  .totals { margin-top: 4mm; width: 45%; margin-left: auto; }
  .totals td { border: none; }
  .grand td { font-weight: bold; border-top: 0.6pt solid #222; }
</style></head><body>
<h1>{{ title }} {{ inv.number }}</h1>
<div class="parties">
  <div><strong>{{ inv.seller.get('name', '') }}</strong><br>{{ inv.seller.get('address', '') }}
    {% if inv.seller.get('vat_id') %}<br>VAT id {{ inv.seller['vat_id'] }}{% endif %}
    {% if inv.seller.get('iban') %}<br>IBAN {{ inv.seller['iban'] }}{% endif %}</div>
  <div>Bill to: <strong>{{ inv.buyer.get('name', '') }}</strong><br>
    Invoice date {{ inv.issue_date.isoformat() }}<br>Billing month {{ inv.month }}
    {% if inv.credits %}<br>Credits the invoice {{ credited }}{% endif %}</div>
</div>
<table>
  <thead><tr><th>#</th><th>Description</th><th>Period</th><th>PO</th>
    <th class="n">Qty</th><th class="n">Unit price</th><th class="n">Amount</th></tr></thead>
  <tbody>
  {% for line in lines %}
    <tr><td>{{ loop.index }}</td>
      <td>{{ line.description }}
        {% if line.formula %}<div class="formula">{{ line.formula }}</div>{% endif %}</td>
      <td>{{ line.period }}</td><td>{{ line.po }}</td>
      <td class="n">{{ line.quantity }}</td><td class="n">{{ line.unit_price }}</td>
      <td class="n">{{ line.amount }}</td></tr>
  {% endfor %}
  </tbody>
</table>
<table class="totals">
  <tr><td>Net</td><td class="n">{{ money(inv.net) }}</td></tr>
  <tr><td>VAT {{ inv.vat_rate }} %</td><td class="n">{{ money(inv.vat) }}</td></tr>
  <tr class="grand"><td>Total</td><td class="n">{{ money(inv.gross) }}</td></tr>
</table>
</body></html>
"""

# The font subsets WeasyPrint embeds carry a "modified" time (fontTools reads it from the
# reproducible-builds variable, else the clock): a fixed one keeps an invoice's bytes the same.
REPRODUCIBLE_EPOCH = "1767225600"  # 2026-01-01T00:00:00Z

_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_COMPILED = _ENV.from_string(_TEMPLATE)


def _money(money: Money) -> str:
    return f"{money.amount:,} {money.currency}".replace(",", " ")


def formula(line: InvoiceLine) -> str:
    """How a line's amount follows from its inputs, e.g. for a pro-rata line
    `4 × 49.00 × 36 months × (1 − 0.10) × 500/1096 days`."""
    parts = [str(line.quantity), str(line.unit_price.amount)]
    if line.months:
        parts.append(f"{line.months} month{'s' if line.months != 1 else ''}")
    if line.discount:
        parts.append(f"(1 − {line.discount})")
    if line.days is not None and line.days_in_term:
        parts.append(f"{line.days}/{line.days_in_term} days")
    return " × ".join(parts) if line.months else ""


def _line(line: InvoiceLine) -> dict[str, Any]:
    period = ""
    if line.period_start and line.period_end:
        period = f"{line.period_start.isoformat()} – {line.period_end.isoformat()}"
    return {
        "description": line.description,
        "formula": formula(line),
        "period": period,
        "po": line.po_reference or "",
        "quantity": line.quantity,
        "unit_price": _money(line.unit_price),
        "amount": _money(line.amount),
    }


def invoice_html(invoice: Invoice, credited_number: str | None = None) -> str:
    title = "Credit note" if invoice.kind == InvoiceKind.CREDIT_NOTE.value else "Invoice"
    return _COMPILED.render(
        inv=invoice,
        title=title,
        lines=[_line(line) for line in invoice.lines],
        money=_money,
        credited=credited_number or "",
    )


class IssuedInvoices(Protocol):
    def get(self, invoice_id: UUID, version: int | None = None) -> Invoice: ...


def invoice_attachment(invoices: IssuedInvoices, reference: str) -> tuple[str, bytes]:
    """An outbox attachment `invoice:<id>` as (file name, PDF bytes)."""
    kind, _, text = reference.partition(":")
    if kind != "invoice":
        raise ValueError(f"unknown attachment {reference!r}")
    invoice = invoices.get(UUID(text))
    credited = invoices.get(invoice.credits).number if invoice.credits else None
    return f"{invoice.number}.pdf", invoice_pdf(invoice, credited)


def invoice_pdf(
    invoice: Invoice, credited_number: str | None = None, *, variant: str | None = None
) -> bytes:
    from weasyprint import HTML  # heavy: loaded on the first PDF only

    os.environ.setdefault("SOURCE_DATE_EPOCH", REPRODUCIBLE_EPOCH)

    pdf: bytes = HTML(string=invoice_html(invoice, credited_number)).write_pdf(pdf_variant=variant)
    return pdf
