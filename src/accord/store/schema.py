"""Imports every stage's tables so the metadata (and Alembic) sees the whole schema."""

from accord.attribution import tables as attribution_tables
from accord.audit import tables as audit_tables
from accord.commissions import tables as commissions_tables
from accord.contracts import tables as contracts_tables
from accord.conversions import tables as conversions_tables
from accord.events import tables as events_tables
from accord.fx import tables as fx_tables
from accord.inquiries import tables as inquiries_tables
from accord.jobs import tables as jobs_tables
from accord.ledger import tables as ledger_tables
from accord.partners import tables as partners_tables
from accord.payouts import tables as payouts_tables
from accord.postbacks import tables as postbacks_tables
from accord.programs import tables as programs_tables
from accord.signin import tables as signin_tables
from accord.store.base import Base
from accord.tenancy import tables as tenancy_tables
from accord.tracking import tables as tracking_tables

metadata = Base.metadata

__all__ = [
    "attribution_tables",
    "audit_tables",
    "commissions_tables",
    "contracts_tables",
    "conversions_tables",
    "events_tables",
    "fx_tables",
    "inquiries_tables",
    "jobs_tables",
    "ledger_tables",
    "metadata",
    "partners_tables",
    "payouts_tables",
    "postbacks_tables",
    "programs_tables",
    "signin_tables",
    "tenancy_tables",
    "tracking_tables",
]

# Appended: tables kept by the reports (incrementality tests).
from accord.reports import tables as reports_tables  # noqa: E402

__all__ += ["reports_tables"]
from accord.programs import promotion_tables as promotion_tables  # noqa: E402

__all__ += ["promotion_tables"]
from accord.monitoring import tables as monitoring_tables  # noqa: E402

__all__ += ["monitoring_tables"]
from accord.protect import tables as protect_tables  # noqa: E402

__all__ += ["protect_tables"]
from accord.leads import tables as leads_tables  # noqa: E402

__all__ += ["leads_tables"]
from accord.notices import tables as notices_tables  # noqa: E402

__all__ += ["notices_tables"]
from accord.engage import tables as engage_tables  # noqa: E402

__all__ += ["engage_tables"]
