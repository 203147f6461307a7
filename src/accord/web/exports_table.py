"""Tables as downloads: CSV (safe for spreadsheets) and Excel (written by accord.reports.files)."""

from __future__ import annotations

from collections.abc import Sequence

from accord.reports.files import to_csv, to_json, to_xlsx

__all__ = ["download", "to_csv", "to_json", "to_xlsx"]


def download(name: str, kind: str, columns: Sequence[str], rows: Sequence[Sequence[object]]):
    """The table as an attachment: `kind` is csv, xlsx or json."""
    from fastapi.responses import Response

    if kind == "json":
        return Response(
            to_json(columns, rows),
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
        )
    if kind == "xlsx":
        return Response(
            to_xlsx(name.capitalize(), columns, rows),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return Response(
        to_csv(columns, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


PAYOUT_COLUMNS = ("payout_id", "amount", "currency", "sent", "sent_currency", "method",
                  "commissions", "created_at")  # fmt: skip


def payout_row(p) -> tuple:
    """A payout as an export row (PAYOUT_COLUMNS), for the brand's and the partner's files."""
    from accord.money import Money

    sent = (
        Money.from_minor(p.sent_minor, p.sent_currency).amount
        if p.sent_currency and p.sent_minor is not None
        else ""
    )
    return (p.id, Money.from_minor(p.amount_minor, p.currency).amount, p.currency, sent,
            p.sent_currency or "", p.method or "", p.commission_count,
            p.created_at.isoformat())  # fmt: skip


def pdf(data: bytes, name: str):
    """A PDF shown in the browser."""
    from fastapi.responses import Response

    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )
