"""What finance teams and partners take away from a payout batch: a CSV, a SEPA credit
transfer file, and each partner's PDF statement, built from the stored payouts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from accord.commissions.tables import Commission, CommissionAdjustment
from accord.conversions.tables import Conversion
from accord.errors import InvalidInput, NotFound
from accord.money import Money
from accord.partners.tables import Partner
from accord.payouts import documents, files
from accord.payouts.providers.base import ProviderError
from accord.payouts.providers.paypal import PayPalPayouts
from accord.payouts.providers.stripe import StripeTransfers
from accord.payouts.service import visible_payouts
from accord.payouts.tables import Payout, PayoutBatch
from accord.programs.service import load_program
from accord.programs.tables import Program
from accord.store.engine import Store
from accord.tenancy.model import Caller
from accord.tenancy.service import require_brand
from accord.tenancy.tables import Organization


def _payee(partner: Partner) -> files.Payee:
    details = partner.payout_details or {}
    return files.Payee(
        partner_id=partner.id,
        name=details.get("account_name") or partner.name,
        email=partner.email,
        country=partner.country,
        iban=details.get("iban"),
        bic=details.get("bic") or details.get("swift_bic"),
        paypal_email=details.get("paypal_email"),
        stripe_account_id=details.get("stripe_account_id"),
        app_account=details.get("alipay_account")
        or details.get("wechat_id")
        or details.get("payoneer_email"),
        account_number=details.get("account_number"),
        bank_name=details.get("bank_name"),
        bank_address=details.get("bank_address"),
        bank_country=details.get("bank_country"),
        intermediary_bic=details.get("intermediary_bic"),
    )


def _instructions(
    session, batch: PayoutBatch, *, unsent_by: str | None = None
) -> list[files.PayoutInstruction]:
    """The batch's payouts with their payees, in one query; with `unsent_by`, only those
    that method's provider has not been given yet."""
    query = (
        select(Payout, Partner)
        .join(Partner, Partner.id == Payout.partner_id)
        .where(Payout.batch_id == batch.id)
        .order_by(Payout.id)
    )
    if unsent_by is not None:
        query = query.where(Payout.method == unsent_by, Payout.provider_ref.is_(None))
    rows = session.execute(query).all()
    return [
        files.PayoutInstruction(
            payout_id=payout.id,
            partner_id=partner.id,
            payee=_payee(partner),
            amount=Money.from_minor(
                payout.sent_minor or payout.amount_minor, payout.sent_currency or payout.currency
            ),
            reference=f"Commission payout {payout.id}",
            method=files.PayoutMethod(partner.payout_method) if partner.payout_method else None,
        )
        for payout, partner in rows
    ]


def _batch(session, caller: Caller, batch_id: str) -> PayoutBatch:
    batch = session.get(PayoutBatch, batch_id)
    if batch is None or batch.organization_id != caller.organization_id:
        raise NotFound("payout batch", batch_id, field="batch_id")
    return batch


def batch_csv(store: Store, caller: Caller, batch_id: str) -> str:
    """Every payout of the batch, one row each, for a finance team's spreadsheet."""
    require_brand(caller)
    with store.read() as session:
        return files.payouts_csv(_instructions(session, _batch(session, caller, batch_id)))


def batch_sepa(
    store: Store,
    caller: Caller,
    batch_id: str,
    *,
    debtor_name: str,
    debtor_iban: str,
    debtor_bic: str | None,
    execution_date: date | None,
) -> bytes:
    """The batch's payouts to partners paid by SEPA, as a SEPA credit transfer
    (pain.001.001.09) for the brand's bank; those paid otherwise are not in it."""
    require_brand(caller)
    with store.read() as session:
        batch = _batch(session, caller, batch_id)
        debtor = files.Debtor(name=debtor_name, iban=debtor_iban, bic=debtor_bic)
        by_sepa = [i for i in _instructions(session, batch) if i.method == "sepa"]
        if not by_sepa:
            raise InvalidInput("batch_id", "no payout of this batch goes to a partner paid by SEPA")
        return files.sepa_credit_transfer(
            debtor,
            by_sepa,
            message_id=batch.id,
            execution_date=execution_date or store.clock.now().date(),
            created_at=store.clock.now(),
        )


def _method(partner: Partner) -> documents.PayoutMethod:
    details = partner.payout_details or {}
    if partner.payout_method == "sepa" and details.get("iban"):
        return documents.PayoutMethod("sepa", details["iban"])
    if partner.payout_method == "paypal" and details.get("paypal_email"):
        return documents.PayoutMethod("paypal", details["paypal_email"])
    account = (details.get("stripe_account_id") or details.get("iban")
               or details.get("account_number") or details.get("alipay_account")
               or details.get("wechat_id") or details.get("payoneer_email"))  # fmt: skip
    if account:
        return documents.PayoutMethod("bank", account)
    return documents.PayoutMethod("manual", "")


def statement_pdf(store: Store, caller: Caller, payout_id: str, *, locale: str = "en") -> bytes:
    """A partner's statement for one payout: the commissions it settles, with their
    adjustments, the clawbacks netted against it, and the total paid. The brand and the
    partner paid can read it; the figures add up or the statement is refused.

    Four queries whatever the number of commissions: the payout; its partner, program,
    brand and the partner's previous payout; the settled commissions with their adjustments
    summed; the clawbacks."""
    if locale not in ("en", "zh_Hans"):
        raise InvalidInput("locale", "use en or zh_Hans")
    with store.read() as session:
        payout = session.scalar(visible_payouts(caller).where(Payout.id == payout_id))
        if payout is None:
            raise NotFound("payout", payout_id, field="payout_id")
        previous = (
            select(Payout.created_at)
            .where(
                Payout.partner_id == payout.partner_id,
                Payout.program_id == payout.program_id,
                Payout.created_at < payout.created_at,
            )
            .order_by(Payout.created_at.desc())
            .limit(1)
            .scalar_subquery()
        )
        partner, program, brand, previous_at = session.execute(
            select(Partner, Program, Organization, previous)
            .select_from(Partner)
            .join(Program, Program.id == payout.program_id)
            .outerjoin(Organization, Organization.id == Program.organization_id)
            .where(Partner.id == payout.partner_id)
        ).one()
        currency = payout.currency
        adjusted = (
            select(
                CommissionAdjustment.commission_id.label("commission_id"),
                func.sum(CommissionAdjustment.delta_minor).label("delta_minor"),
            )
            .join(Commission, Commission.id == CommissionAdjustment.commission_id)
            .where(
                Commission.payout_id == payout.id,
                CommissionAdjustment.at <= payout.created_at,
            )
            .group_by(CommissionAdjustment.commission_id)
            .subquery()
        )
        settled = session.execute(
            select(Commission, Conversion.order_id, func.coalesce(adjusted.c.delta_minor, 0))
            .outerjoin(Conversion, Conversion.id == Commission.conversion_id)
            .outerjoin(adjusted, adjusted.c.commission_id == Commission.id)
            .where(Commission.payout_id == payout.id)
            .order_by(Commission.occurred_at, Commission.id)
        ).all()
        lines = [
            documents.StatementLine(
                occurred_on=commission.occurred_at.date(),
                order_id=order_id or commission.kind,
                event_type=commission.event_type,
                rule_name=str(
                    (commission.explanation or {}).get("rule", {}).get("name")
                    or (commission.explanation or {}).get("bonus")
                    or (commission.explanation or {}).get("brief")
                    or (commission.explanation or {}).get("imported")
                    or (commission.explanation or {}).get("bounty", "")
                ),
                original=Money.from_minor(commission.original_minor, currency),
                adjustments=Money.from_minor(int(delta_minor), currency),
                status="paid",
            )
            for commission, order_id, delta_minor in settled
        ]
        clawbacks = []
        later = (
            select(CommissionAdjustment, Commission, Conversion.order_id)
            .join(Commission, Commission.id == CommissionAdjustment.commission_id)
            .outerjoin(Conversion, Conversion.id == Commission.conversion_id)
            .where(
                Commission.partner_id == payout.partner_id,
                Commission.program_id == payout.program_id,
                CommissionAdjustment.status_before == "paid",
                CommissionAdjustment.at <= payout.created_at,
            )
        )
        if previous_at is not None:
            later = later.where(CommissionAdjustment.at > previous_at)
        later = later.order_by(CommissionAdjustment.at, CommissionAdjustment.id)
        for adjustment, commission, order_id in session.execute(later).all():
            order = order_id or commission.kind
            amount = Money.from_minor(abs(adjustment.delta_minor), currency)
            if adjustment.delta_minor < 0:
                clawbacks.append(
                    documents.Clawback(
                        occurred_on=adjustment.at.date(),
                        order_id=order,
                        reason=adjustment.reason_code,
                        earlier_payout_id=commission.payout_id or "",
                        amount=amount,
                    )
                )
            else:
                lines.append(
                    documents.StatementLine(
                        occurred_on=adjustment.at.date(),
                        order_id=order,
                        event_type=commission.event_type,
                        rule_name=adjustment.reason_code,
                        original=Money.zero(currency),
                        adjustments=amount,
                        status="paid",
                    )
                )
        dates = [line.occurred_on for line in lines] or [payout.created_at.date()]
        statement = documents.Statement(
            program_name=program.name,
            brand_name=brand.name if brand else "",
            partner_name=partner.name,
            partner_id=partner.id,
            payout_id=payout.id,
            batch_id=payout.batch_id,
            paid_on=payout.created_at.date(),
            period_start=min(dates),
            period_end=max(max(dates), payout.created_at.date()),
            method=_method(partner),
            net_paid=Money.from_minor(payout.amount_minor, currency),
            lines=lines,
            clawbacks=clawbacks,
        )
    return documents.render_statement(statement, locale=locale)


def invoice_pdf(
    store: Store,
    caller: Caller,
    program_id: str,
    *,
    since: date,
    until: date,
    issuer: str = "Accord",
    locale: str = "en",
) -> bytes:
    """The brand's invoice for a period [since, until): the commissions approved in it (at
    their amount when approved), the clawbacks credited in it, and the platform fee on the
    net, due in 14 days."""
    require_brand(caller)
    if locale not in ("en", "zh_Hans"):
        raise InvalidInput("locale", "use en or zh_Hans")
    if since >= until:
        raise InvalidInput("until", "must be after since")
    start = datetime.combine(since, time(), UTC)
    end = datetime.combine(until, time(), UTC)
    with store.read() as session:
        program = load_program(session, caller, program_id)
        brand = session.get(Organization, program.organization_id)
        approved = (
            Commission.program_id == program.id,
            Commission.approved_at >= start,
            Commission.approved_at < end,
        )
        clawback = (
            Commission.program_id == program.id,
            CommissionAdjustment.status_before == "paid",
            CommissionAdjustment.at >= start,
            CommissionAdjustment.at < end,
            CommissionAdjustment.delta_minor < 0,
        )
        # One query: what was approved (at its amount when approved) and what was clawed back.
        count, originals, earlier, clawed_count, clawed = session.execute(
            select(
                select(func.count()).where(*approved).scalar_subquery(),
                select(func.coalesce(func.sum(Commission.original_minor), 0))
                .where(*approved)
                .scalar_subquery(),
                select(func.coalesce(func.sum(CommissionAdjustment.delta_minor), 0))
                .join(Commission, Commission.id == CommissionAdjustment.commission_id)
                .where(*approved, CommissionAdjustment.at <= Commission.approved_at)
                .scalar_subquery(),
                select(func.count())
                .select_from(CommissionAdjustment)
                .join(Commission, Commission.id == CommissionAdjustment.commission_id)
                .where(*clawback)
                .scalar_subquery(),
                select(func.coalesce(-func.sum(CommissionAdjustment.delta_minor), 0))
                .join(Commission, Commission.id == CommissionAdjustment.commission_id)
                .where(*clawback)
                .scalar_subquery(),
            )
        ).one()
        charged, clawed = int(originals) + int(earlier), int(clawed)
        currency = program.currency
        lines = [
            documents.InvoiceLine(
                "commissions", program.name, Money.from_minor(charged, currency), int(count)
            )
        ]
        if clawed_count:
            lines.append(
                documents.InvoiceLine(
                    "clawbacks", program.name, Money.from_minor(clawed, currency), int(clawed_count)
                )
            )
        rate = (program.platform_fee_percent or Decimal(0)) / 100
        subtotal = Money.from_minor(charged - clawed, currency)
        fee = subtotal.times(rate)
        today = store.clock.now().date()
        invoice = documents.Invoice(
            invoice_number=f"{program.id[-8:]}-{since:%Y%m%d}",
            issued_on=today,
            due_on=today + timedelta(days=14),
            period_start=since,
            period_end=until - timedelta(days=1),
            issuer=documents.Party(issuer),
            bill_to=documents.Party(brand.name if brand else program.name),
            platform_fee_rate=rate,
            lines=lines,
            total_due=subtotal + fee,
        )
    return documents.render_invoice(invoice, locale=locale)


def send_batch(store: Store, caller: Caller, batch_id: str, provider) -> list[Payout]:
    """Send the batch's payouts whose partner chose this provider's method, and keep each
    result (reference, status, message) on its payout. Payouts already sent are skipped, and
    the provider is given our ids as idempotency keys, so sending again never pays twice."""
    require_brand(caller)
    with store.read() as session:
        instructions = _instructions(
            session, _batch(session, caller, batch_id), unsent_by=provider.name
        )
    if not instructions:
        return []
    try:
        results = provider.send(batch_id, instructions)
        failure = None
    except ProviderError as error:
        results, failure = list(error.results), error
    with store.unit() as session:
        payouts = _payouts(session, [result.payout_id for result in results])
        updated = []
        for result in results:
            payout = payouts[result.payout_id]
            payout.provider_ref = result.reference or None
            payout.delivery_status = str(result.status)
            payout.delivery_message = (result.message or result.provider_status)[:500]
            updated.append(payout)
    if failure is not None:
        raise failure
    return updated


def provider_for(settings, name: str):
    """The configured adapter for `paypal` or `stripe`, or an error saying what to set."""
    if name == "paypal":
        if not (settings.paypal_client_id and settings.paypal_client_secret):
            raise InvalidInput(
                "provider", "set ACCORD_PAYPAL_CLIENT_ID and ACCORD_PAYPAL_CLIENT_SECRET"
            )
        return PayPalPayouts(
            settings.paypal_client_id, settings.paypal_client_secret, live=settings.paypal_live
        )
    if name == "stripe":
        if not settings.stripe_secret_key:
            raise InvalidInput("provider", "set ACCORD_STRIPE_SECRET_KEY")
        return StripeTransfers(settings.stripe_secret_key)
    raise InvalidInput("provider", "use paypal or stripe")


def refresh_batch(store: Store, caller: Caller, batch_id: str, provider) -> list[Payout]:
    """Ask the provider where the batch's sent payouts stand now (PayPal reports each item:
    paid, unclaimed, returned...) and keep the answer on each payout."""
    require_brand(caller)
    with store.read() as session:
        batch = _batch(session, caller, batch_id)
        sent = list(
            session.scalars(
                select(Payout).where(
                    Payout.batch_id == batch.id,
                    Payout.method == provider.name,
                    Payout.delivery_status == "sent",
                )
            )
        )
    if not sent or not hasattr(provider, "batch_results"):
        return []
    answers = {}
    for reference in sorted({p.provider_ref for p in sent if p.provider_ref}):
        for result in provider.batch_results(reference):
            answers[result.payout_id] = result
    with store.unit() as session:
        rows = _payouts(session, [p.id for p in sent if p.id in answers])
        updated = []
        for payout in sent:
            result = answers.get(payout.id)
            if result is None:
                continue
            row = rows[payout.id]
            row.delivery_status = str(result.status)
            note = f"{result.provider_status} (item {result.reference})"
            row.delivery_message = (f"{note}: {result.message}" if result.message else note)[:500]
            updated.append(row)
    return updated


def _payouts(session, ids: list[str]) -> dict[str, Payout]:
    """The named payouts, by id, in one query."""
    return {p.id: p for p in session.scalars(select(Payout).where(Payout.id.in_(ids)))}
