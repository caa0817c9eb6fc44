"""One readable line per event for the audit log: "Erik Lind chose buyout (preliminary)".

Each logged event type has its summary here, keyed by its operation name (as the
event_log read model stores it); a test holds this table to every event class of the
model, so a new event without a summary fails the suite. A summary reads only the event
log item — who did it (the person, as the read model names them) and the event's own
details — and returns plain text: the templates escape it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Summary = Callable[[str, dict[str, Any]], str]  # (who, details) → the line

SUMMARIES: dict[str, Summary] = {}


def summary(*operations: str) -> Callable[[Summary], Summary]:
    def register(write: Summary) -> Summary:
        for operation in operations:
            SUMMARIES[operation] = write
        return write

    return register


def fixed(operation: str, text: str) -> None:
    """A summary that needs no details: "{who} removed the device"."""
    SUMMARIES[operation] = lambda who, _: text.format(who=who)


def money(value: Any) -> str:
    if isinstance(value, dict) and "amount" in value:
        return f"{value['amount']} {value.get('currency', '')}".strip()
    return str(value)


def plural(count: Any, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def summary_of(item: dict[str, Any]) -> str:
    """The line of an event log item (as `query_event_log` returns it)."""
    actor = item["actor"]
    # The scheduler and payment notices act as the system: the product did it.
    who = "Lessor" if actor.get("role") == "system" else str(actor["name"])
    write = SUMMARIES.get(item["operation"])
    if write is None:  # an event type newer than this table (the test forbids it)
        return f"{who}: {item['operation']}"
    return write(who, item.get("details") or {})


# --- companies and people ---------------------------------------------------------------


@summary("Company.Registered")
def _company_registered(who: str, d: dict[str, Any]) -> str:
    return f"{who} registered the company {d.get('name', '')} ({d.get('currency', '')})"


@summary("Company.Renamed")
def _company_renamed(who: str, d: dict[str, Any]) -> str:
    return f"{who} renamed the company to {d.get('name', '')}"


@summary("Company.TimeZoneChanged")
def _time_zone(who: str, d: dict[str, Any]) -> str:
    return f"{who} set the company's time zone to {d.get('time_zone', '')}"


@summary("Company.VatRateChanged")
def _vat_rate(who: str, d: dict[str, Any]) -> str:
    return f"{who} set the company's VAT rate to {d.get('vat_rate', '')} %"


@summary("Company.SettingsChanged")
def _settings(who: str, d: dict[str, Any]) -> str:
    changes = d.get("changes") or {}
    shown = ", ".join(f"{k} {'on' if v else 'off'}" for k, v in sorted(changes.items()))
    return f"{who} changed the company's settings: {shown}"


@summary("Company.AutomaticValuationChanged")
def _automatic_valuation(who: str, d: dict[str, Any]) -> str:
    state = "on" if d.get("enabled") else "off"
    return f"{who} turned automatic valuation {state} for {d.get('category', '')}"


@summary("Company.CustomCurveSaved")
def _curve_saved(who: str, d: dict[str, Any]) -> str:
    return f"{who} saved a custom valuation curve for {d.get('category', '')}"


@summary("Company.CustomCurveCleared")
def _curve_cleared(who: str, d: dict[str, Any]) -> str:
    return f"{who} went back to the standard valuation curve for {d.get('category', '')}"


@summary("Company.DefaultLicenceChosen")
def _default_licence(who: str, d: dict[str, Any]) -> str:
    if not d.get("product_id"):
        return f"{who} cleared the default licence for new members"
    return f"{who} chose the default licence for new members"


@summary("Company.ManagementRightGranted")
def _management_right(who: str, d: dict[str, Any]) -> str:
    return f"{who} granted the management right '{d.get('right', '')}'"


@summary("Company.ReleaseDigestSent")
def _digest(who: str, d: dict[str, Any]) -> str:
    devices = d.get("devices") or []
    count = len(devices) if isinstance(devices, list) else devices
    return f"{who} sent the weekly release digest ({plural(count, 'device')})"


@summary("Member.Registered")
def _member_registered(who: str, d: dict[str, Any]) -> str:
    return f"{who} added {d.get('name', '')} <{d.get('email', '')}> as {d.get('role', '')}"


@summary("Member.LastEmploymentDaySet")
def _last_day(who: str, d: dict[str, Any]) -> str:
    day = d.get("last_employment_day")
    if not day:
        return f"{who} cleared a member's last day of employment"
    return f"{who} set a member's last day of employment to {day}"


@summary("ApiToken.Issued")
def _token_issued(who: str, d: dict[str, Any]) -> str:
    return f"{who} issued an API token '{d.get('label', '')}' ({d.get('role', '')})"


fixed("ApiToken.Revoked", "{who} revoked an API token")

# --- devices ----------------------------------------------------------------------------


@summary("Device.Registered")
def _device_registered(who: str, d: dict[str, Any]) -> str:
    serial = d.get("serial") or "no serial yet"
    return f"{who} registered {d.get('model', 'a device')} ({serial}, {d.get('contract_type', '')})"


fixed("Device.Assigned", "{who} assigned the device to a member")
fixed("Device.Unassigned", "{who} took the device back from its member")
fixed("Device.Removed", "{who} removed the device")
fixed("Device.DeliveryReported", "{who} reported the device delivered")
fixed("Device.ReturnConfirmed", "{who} confirmed the device's return")
fixed("Device.ReturnChosen", "{who} chose to return the device")
fixed("Device.RentalDeactivated", "{who} ended the device's rental")
fixed("Device.ReplacementLinked", "{who} linked a replacement device")
fixed("Device.RmaSwapped", "{who} swapped the device for a replacement (RMA)")


@summary("Device.SerialRecorded")
def _serial(who: str, d: dict[str, Any]) -> str:
    return f"{who} recorded the serial number {d.get('serial', '')}"


@summary("Device.BuyoutAvailabilitySet")
def _buyout_available(who: str, d: dict[str, Any]) -> str:
    state = "available" if d.get("available") else "unavailable"
    return f"{who} made buyout {state} for the device"


@summary("Device.BuyoutPriceSet")
def _buyout_price(who: str, d: dict[str, Any]) -> str:
    if d.get("amount") is None:
        return f"{who} cleared the device's own buyout price ({d.get('source', '')})"
    return f"{who} set the buyout price to {money(d.get('amount'))} ({d.get('source', '')})"


@summary("Device.EndOfLeaseOpened")
def _end_of_lease(who: str, d: dict[str, Any]) -> str:
    return f"{who} opened the end of lease (renewal date {d.get('renewal_date', '')})"


@summary("Device.PreliminaryChoiceMade")
def _preliminary(who: str, d: dict[str, Any]) -> str:
    if d.get("choice") is None:
        return f"{who} withdrew the preliminary choice ({d.get('previous') or 'none'})"
    return f"{who} chose {d['choice']} (preliminary)"


@summary("Device.FinalDecisionRequested")
def _final_requested(who: str, d: dict[str, Any]) -> str:
    deadline = str(d.get("deadline", ""))[:10]
    price = f" at {money(d['price'])}" if d.get("price") else ""
    return f"{who} asked for the final decision by {deadline}{price}"


@summary("Device.MarkedOverdue")
def _overdue(who: str, d: dict[str, Any]) -> str:
    return f"{who} marked the device overdue (renewal date {d.get('renewal_date', '')})"


@summary("Device.MarkedReceived")
def _received(who: str, d: dict[str, Any]) -> str:
    return f"{who} marked the new device received ({d.get('method', '')})"


@summary("Device.Released")
def _released(who: str, d: dict[str, Any]) -> str:
    return f"{who} released the device to its buyer ({d.get('reason', '')})"


@summary("Device.BuyoutCheckoutStarted")
def _checkout_started(who: str, d: dict[str, Any]) -> str:
    return f"{who} started a buyout payment of {money(d.get('amount'))}"


@summary("Device.BuyoutCheckoutFailed")
def _checkout_failed(who: str, d: dict[str, Any]) -> str:
    return f"{who}: the buyout payment did not go through ({d.get('reason', '')})"


@summary("Device.BuyoutPaid")
def _paid(who: str, d: dict[str, Any]) -> str:
    return f"{who}: the buyout of {money(d.get('amount'))} was paid"


@summary("Device.BuyoutPaymentRejected")
def _payment_rejected(who: str, d: dict[str, Any]) -> str:
    amount = f" of {money(d['amount'])}" if d.get("amount") else ""
    return f"{who} rejected a buyout payment{amount} ({d.get('reason', '')})"


# --- catalog, terms, prices ---------------------------------------------------------------


@summary("Product.Added")
def _product_added(who: str, d: dict[str, Any]) -> str:
    return f"{who} added the product {d.get('name', '')} ({d.get('code', '')})"


@summary("Product.Renamed")
def _product_renamed(who: str, d: dict[str, Any]) -> str:
    return f"{who} renamed a product to {d.get('name', '')}"


fixed("Product.PricesChanged", "{who} changed a product's prices")


@summary("ProviderTerms.FirstPublished", "ProviderTerms.Published")
def _terms(who: str, d: dict[str, Any]) -> str:
    return f"{who} published the provider terms, version {d.get('version', '')}"


@summary("PriceImportRecord.Applied")
def _price_import(who: str, d: dict[str, Any]) -> str:
    rows = d.get("rows") or []
    return f"{who} imported buyout prices ({plural(len(rows), 'row')})"


fixed("UsagePriceList.Opened", "{who} opened the usage price list")


@summary("UsagePriceList.PriceSet")
def _usage_price(who: str, d: dict[str, Any]) -> str:
    return f"{who} set the usage price of {d.get('kind', '')}"


# --- subscriptions ----------------------------------------------------------------------


@summary("Subscription.Created")
def _subscription_created(who: str, d: dict[str, Any]) -> str:
    return f"{who} started a {d.get('term', '')} subscription from {d.get('start_date', '')}"


@summary("Subscription.PurchaseConfirmed")
def _purchase(who: str, d: dict[str, Any]) -> str:
    return f"{who} confirmed a purchase of {money(d.get('total'))}"


@summary("Subscription.SeatsAdded")
def _seats_added(who: str, d: dict[str, Any]) -> str:
    seats = plural(d.get("seats"), "seat")
    charge = d.get("charge")
    if not isinstance(charge, dict):  # added on the term's last day: nothing to charge
        return f"{who} added {seats}"
    return f"{who} added {seats} ({money(charge.get('amount'))} pro rata)"


@summary("Subscription.SeatsRemoved")
def _seats_removed(who: str, d: dict[str, Any]) -> str:
    return f"{who} removed {plural(d.get('seats'), 'seat')} from {d.get('effective_from', '')}"


@summary("Subscription.SeatRemovalScheduled")
def _seat_removal(who: str, d: dict[str, Any]) -> str:
    seats = plural(d.get("seats"), "seat")
    return f"{who} scheduled the removal of {seats} from {d.get('effective_from', '')}"


fixed("Subscription.LicenceAssigned", "{who} assigned a licence to a member")
fixed("Subscription.LicenceUnassigned", "{who} took a licence back from a member")


@summary("Subscription.PoReferenceChanged")
def _po(who: str, d: dict[str, Any]) -> str:
    return f"{who} set the PO reference to {d.get('po_reference') or '(none)'}"


@summary("Subscription.RenewalOptionChanged")
def _renewal_option(who: str, d: dict[str, Any]) -> str:
    return f"{who} set the renewal option to {d.get('renewal_option', '')}"


@summary("Subscription.CancellationScheduled")
def _cancellation(who: str, d: dict[str, Any]) -> str:
    return f"{who} scheduled the cancellation from {d.get('effective_from', '')}"


@summary("Subscription.Renewed")
def _renewed(who: str, d: dict[str, Any]) -> str:
    return f"{who} renewed the subscription until {d.get('term_end', '')}"


@summary("Subscription.ConvertedToMonthly")
def _monthly(who: str, d: dict[str, Any]) -> str:
    return f"{who} converted the subscription to monthly from {d.get('term_start', '')}"


@summary("Subscription.Ended")
def _ended(who: str, d: dict[str, Any]) -> str:
    return f"{who} ended the subscription on {d.get('on', '')} ({d.get('status', '')})"


@summary("Subscription.TermCharged", "Subscription.PastTermsCharged")
def _term_charged(who: str, d: dict[str, Any]) -> str:
    period = f"{d.get('period_start', '')} – {d.get('period_end', '')}"
    return f"{who} charged the subscription for {period}"


# --- rental credits ---------------------------------------------------------------------


@summary("KeyBatch.Issued")
def _batch(who: str, d: dict[str, Any]) -> str:
    keys = plural(d.get("count"), "activation key")
    return f"{who} issued {keys} of {plural(d.get('credits'), 'credit')} each"


@summary("KeyBatch.Voided")
def _batch_voided(who: str, d: dict[str, Any]) -> str:
    return f"{who} voided {plural(len(d.get('key_ids') or []), 'activation key')}"


@summary("ActivationKey.Issued")
def _key(who: str, d: dict[str, Any]) -> str:
    return f"{who} issued an activation key of {plural(d.get('credits'), 'credit')}"


fixed("ActivationKey.Redeemed", "{who} redeemed an activation key")
fixed("ActivationKey.Voided", "{who} voided an activation key")
fixed("RentalAccount.Opened", "{who} opened the rental account")


@summary("RentalAccount.CreditsRedeemed")
def _credits(who: str, d: dict[str, Any]) -> str:
    added = plural(d.get("credits"), "credit")
    return f"{who} added {added} (balance {d.get('balance', '')})"


@summary("RentalAccount.RentalActivated")
def _rental_on(who: str, d: dict[str, Any]) -> str:
    return f"{who} started renting a device at {plural(d.get('rate'), 'credit')} a day"


@summary("RentalAccount.RentalDeactivated")
def _rental_off(who: str, d: dict[str, Any]) -> str:
    return f"{who} stopped renting a device from {d.get('day', '')}"


@summary("RentalAccount.RentalSwapped")
def _rental_swap(who: str, d: dict[str, Any]) -> str:
    return f"{who} moved a rental to its replacement device on {d.get('day', '')}"


@summary("RentalAccount.DayCharged")
def _day_charged(who: str, d: dict[str, Any]) -> str:
    total = plural(d.get("total"), "credit")
    return f"{who} charged {total} for {d.get('day', '')} (balance {d.get('balance', '')})"


@summary("RentalAccount.Suspended")
def _suspended(who: str, d: dict[str, Any]) -> str:
    return f"{who} suspended the rentals on {d.get('day', '')}: not enough credits"


@summary("RentalAccount.Resumed")
def _resumed(who: str, d: dict[str, Any]) -> str:
    return f"{who} resumed the rentals on {d.get('day', '')}"


# --- usage and invoices -----------------------------------------------------------------

fixed("UsageLedger.Opened", "{who} opened the usage ledger")


@summary("UsageLedger.ChangesRecorded")
def _usage(who: str, d: dict[str, Any]) -> str:
    return f"{who} recorded {plural(len(d.get('changes') or []), 'usage change')}"


@summary("Invoice.Issued")
def _invoice(who: str, d: dict[str, Any]) -> str:
    return f"{who} issued invoice {d.get('number', '')} of {money(d.get('gross'))}"


fixed("InvoiceBook.Opened", "{who} opened the company's invoice book")


@summary("InvoiceBook.BillingDetailsSet")
def _billing(who: str, d: dict[str, Any]) -> str:
    return f"{who} set the billing details (VAT id {d.get('vat_id') or 'none'})"


@summary("InvoiceBook.IssueRecorded")
def _issue_recorded(who: str, d: dict[str, Any]) -> str:
    return f"{who} recorded invoice {d.get('number', '')} in the invoice book"


@summary("InvoiceBook.RunRecorded")
def _run(who: str, d: dict[str, Any]) -> str:
    return f"{who} ran the invoicing of {d.get('month', '')}"


fixed("InvoiceBook.AdjustmentRecorded", "{who} recorded an adjustment for the next invoice")


@summary("InvoiceSequence.Started")
def _sequence(who: str, d: dict[str, Any]) -> str:
    return f"{who} started the invoice numbers of {d.get('year', '')}"


@summary("InvoiceSequence.NumberTaken")
def _number(who: str, d: dict[str, Any]) -> str:
    return f"{who} took invoice number {d.get('serial', '')}"


# --- machinery that still belongs in the log ----------------------------------------------

fixed("PaymentEventRecord.Recorded", "{who} recorded a payment notice from Stripe")
fixed("UniqueClaim.Reclaimed", "{who} moved a unique name to another owner")
fixed("UniqueClaim.Released", "{who} released a unique name")

# The event types the audit log's filter offers, by name: every one with a summary.
EVENT_TYPES: dict[str, str] = {name: name.replace(".", ": ", 1) for name in sorted(SUMMARIES)}
