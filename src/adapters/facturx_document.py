"""Factur-X (EN 16931 profile): the issued invoice as CII XML, embedded in a PDF/A-3 with
the `factur-x` library, which checks the XML against its XSD as it embeds it.

Built from the invoice's fact alone (lines, totals, the parties frozen at issue), like the
PDF. Every line is one unit (`C62`) at its amount: the seat count, period and pro-rata
inputs are in its name, so price × quantity is always exactly the line's amount. A credit
note is type 381 with the original's amounts (positive, as EN 16931 wants them).
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from domain.model.errors import RuleViolation
from domain.model.invoice import Invoice, InvoiceKind, InvoiceLine, en16931_missing
from domain.model.money import Money

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NS = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
EN16931 = "urn:cen.eu:en16931:2017"


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}", attrs)
    if text is not None:
        element.text = text
    return element


def _amount(money: Money, sign: int) -> str:
    return str(money.amount * sign)


def _date(parent: etree._Element, tag: str, day: object) -> None:
    holder = _el(parent, tag)
    _el(holder, "udt:DateTimeString", day.strftime("%Y%m%d"), format="102")  # type: ignore[attr-defined]


def _party(parent: etree._Element, tag: str, party: dict[str, str]) -> None:
    holder = _el(parent, tag)
    _el(holder, "ram:Name", party["name"])
    address = _el(holder, "ram:PostalTradeAddress")
    if party.get("address"):
        _el(address, "ram:LineOne", party["address"])
    _el(address, "ram:CountryID", party["country"])
    registration = _el(holder, "ram:SpecifiedTaxRegistration")
    _el(registration, "ram:ID", party["vat_id"], schemeID="VA")


def _category(rate: Decimal) -> str:
    return "S" if rate > 0 else "Z"  # standard rate; zero rated


def _tax(parent: etree._Element, rate: Decimal) -> None:
    tax = _el(parent, "ram:ApplicableTradeTax")
    _el(tax, "ram:TypeCode", "VAT")
    _el(tax, "ram:CategoryCode", _category(rate))
    _el(tax, "ram:RateApplicablePercent", str(rate))


def _line(parent: etree._Element, n: int, line: InvoiceLine, rate: Decimal, sign: int) -> None:
    item = _el(parent, "ram:IncludedSupplyChainTradeLineItem")
    _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(n))
    name = line.description if line.quantity == 1 else f"{line.description} ({line.quantity} ×)"
    _el(_el(item, "ram:SpecifiedTradeProduct"), "ram:Name", name)
    agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
    price = _el(agreement, "ram:NetPriceProductTradePrice")
    _el(price, "ram:ChargeAmount", _amount(line.amount, sign))
    _el(_el(item, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity", "1", unitCode="C62")
    settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
    _tax(settlement, rate)
    if line.period_start and line.period_end:
        period = _el(settlement, "ram:BillingSpecifiedPeriod")
        _date(period, "ram:StartDateTime", line.period_start)
        _date(period, "ram:EndDateTime", line.period_end)
    summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    _el(summation, "ram:LineTotalAmount", _amount(line.amount, sign))


def cii_xml(invoice: Invoice) -> bytes:
    """The invoice as Cross Industry Invoice XML, EN 16931 profile; refused (RuleViolation)
    when a party lacks what the standard needs — never a broken file."""
    if missing := en16931_missing(invoice.seller, invoice.buyer):
        raise RuleViolation("Factur-X (EN 16931) needs the " + ", ".join(missing) + ".")
    credit = invoice.kind == InvoiceKind.CREDIT_NOTE.value
    sign = -1 if credit else 1
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NS)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", EN16931)
    document = _el(root, "rsm:ExchangedDocument")
    _el(document, "ram:ID", invoice.number)
    _el(document, "ram:TypeCode", "381" if credit else "380")
    _date(document, "ram:IssueDateTime", invoice.issue_date)
    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for n, line in enumerate(invoice.lines, start=1):
        _line(transaction, n, line, invoice.vat_rate, sign)
    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    _party(agreement, "ram:SellerTradeParty", invoice.seller)
    _party(agreement, "ram:BuyerTradeParty", invoice.buyer)
    _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(settlement, "ram:InvoiceCurrencyCode", invoice.currency)
    if invoice.seller.get("iban"):
        means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _el(means, "ram:TypeCode", "58")  # SEPA credit transfer
        account = _el(means, "ram:PayeePartyCreditorFinancialAccount")
        _el(account, "ram:IBANID", invoice.seller["iban"])
    tax = _el(settlement, "ram:ApplicableTradeTax")
    _el(tax, "ram:CalculatedAmount", _amount(invoice.vat, sign))
    _el(tax, "ram:TypeCode", "VAT")
    _el(tax, "ram:BasisAmount", _amount(invoice.net, sign))
    _el(tax, "ram:CategoryCode", _category(invoice.vat_rate))
    _el(tax, "ram:RateApplicablePercent", str(invoice.vat_rate))
    summation = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(summation, "ram:LineTotalAmount", _amount(invoice.net, sign))
    _el(summation, "ram:TaxBasisTotalAmount", _amount(invoice.net, sign))
    _el(summation, "ram:TaxTotalAmount", _amount(invoice.vat, sign), currencyID=invoice.currency)
    _el(summation, "ram:GrandTotalAmount", _amount(invoice.gross, sign))
    _el(summation, "ram:DuePayableAmount", _amount(invoice.gross, sign))
    xml: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml


def facturx_pdf(invoice: Invoice, credited_number: str | None = None) -> bytes:
    """The invoice's PDF (PDF/A-3b) with its CII XML embedded as factur-x.xml."""
    from facturx import generate_from_binary  # heavy: loaded on the first file only

    from adapters.invoice_documents import invoice_pdf

    xml = cii_xml(invoice)
    pdf = invoice_pdf(invoice, credited_number, variant="pdf/a-3b")
    made: bytes = generate_from_binary(
        pdf, xml, flavor="factur-x", level="en16931", check_xsd=True, lang="en"
    )
    return made
