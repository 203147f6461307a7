"""Leads' own rows: each brand's lead settings, its contacts, their identities and
activities, the merges between contacts (with their evidence, and whether they were undone),
pairs a person kept apart, and each contact's stage history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from accord.store.base import Base, UTCDateTime


class LeadSettings(Base):
    """A brand's lead settings: the region local phone numbers are read in, the behaviour
    rules, the fit rules and the MQL zone (None: Accord's defaults)."""

    __tablename__ = "lead_settings"

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    default_region: Mapped[str | None] = mapped_column(String(2), nullable=True)
    scoring: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    fit: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    mql_zone: Mapped[list | None] = mapped_column(JSON, nullable=True)
    #: bumped by every capture: captures of one brand take this row's lock in turn, so two
    #: at once never make two contacts of one new person
    captures: Mapped[int] = mapped_column(Integer, default=0)
    #: the time the contacts' score weights stand at (see `model.weights`)
    score_epoch: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: fingerprints of the behaviour rules the weights were built with, and of the fit
    #: rules the fit was: the daily pass rebuilds what a change made stale
    scored_with: Mapped[str | None] = mapped_column(String(64), nullable=True)
    fitted_with: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: the MQL zone the trigger last read the contacts with
    zoned_with: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: where MQLs are handed to sales: {"url", "format", "secret", "assign"} (None: nowhere)
    handoff: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    #: the last daily pass: a contact's score is as of this or its own `scored_at`,
    #: whichever is later (the pass writes only the scores it changes)
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str | None] = mapped_column(String(40), nullable=True)

    @property
    def id(self) -> str:
        return self.organization_id


class Contact(Base):
    """One person as the brand knows them. A contact merged into another keeps its row
    (`merged_into`), so that undoing the merge restores it."""

    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_org_stage", "organization_id", "stage"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    company: Mapped[str | None] = mapped_column(String(200), nullable=True)
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    industry: Mapped[str | None] = mapped_column(String(100), nullable=True)
    company_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    region: Mapped[str | None] = mapped_column(String(2), nullable=True)
    city: Mapped[str | None] = mapped_column(String(100), nullable=True)
    stage: Mapped[str] = mapped_column(String(16), default="new")
    #: not indexed: the daily pass rewrites it for most contacts, and without an index the
    #: rewrite stays in the row's page (migration 0037)
    behaviour: Mapped[int] = mapped_column(Integer, default=0)
    fit: Mapped[int] = mapped_column(Integer, default=0)
    #: the MQL trigger fires when the contact enters the zone while armed
    armed: Mapped[bool] = mapped_column(Boolean, default=True)
    merged_into: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    #: the brand's user who works this contact (a sales rep), and since when
    owner_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    owned_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: the brand's predictive model's chance that this contact becomes an opportunity or
    #: a customer (None: no model, or the contact has an outcome already)
    predicted: Mapped[float | None] = mapped_column(Float, nullable=True)
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ContactScorePart(Base):
    """A contact's points in one group of the behaviour rules, uncapped, as they stand at
    the brand's score epoch; rebuilt from the activity log whenever the contact's activities
    change (a capture, a merge, an undo) and by a rules change."""

    __tablename__ = "contact_score_parts"
    # keyed brand first: a brand's weights are one range of the key, one contact's groups
    # side by side; on SQLite the rows live in the key's order, so the daily pass reads them
    # in one sweep
    __table_args__ = ({"sqlite_with_rowid": False},)

    organization_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    score_group: Mapped[str] = mapped_column(String(40), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)


class ContactIdentity(Base):
    """An identifier of a contact, with its evidence: the activity that brought it. A
    shared identifier (seen with too many different people) belongs to each contact that
    gave it and merges none of them."""

    __tablename__ = "contact_identities"
    __table_args__ = (
        Index("ix_contact_identities_lookup", "organization_id", "kind", "value"),
        Index("ix_contact_identities_contact", "contact_id"),
        Index("ix_contact_identities_origin", "origin_contact_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(40))
    #: the contact it belongs to now, and the one it was first given to (undoing a merge
    #: gives it back)
    contact_id: Mapped[str] = mapped_column(String(40))
    origin_contact_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(200))
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    activity_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    channel: Mapped[str | None] = mapped_column(String(40), nullable=True)


class IdentityPair(Base):
    """Two identifiers seen together in one capture: how an identifier is found to be
    shared (a phone given with many different e-mails)."""

    __tablename__ = "identity_pairs"

    organization_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), primary_key=True)
    other_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    other_value: Mapped[str] = mapped_column(String(200), primary_key=True)


class Activity(Base):
    """Something a contact did, with where it came from."""

    __tablename__ = "lead_activities"
    __table_args__ = (
        Index("ix_lead_activities_contact_at", "contact_id", "at"),
        Index("ix_lead_activities_origin", "origin_contact_id"),
        Index("ix_lead_activities_org_at", "organization_id", "at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(40))
    contact_id: Mapped[str] = mapped_column(String(40))
    origin_contact_id: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str | None] = mapped_column(String(40), nullable=True)
    source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    campaign: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: {"source", "medium", "campaign", "term", "content"}
    utm: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    referrer: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    keyword: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: what it was about: a content item, an event, a page
    subject: Mapped[str | None] = mapped_column(String(500), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    #: consents given or withdrawn with it, by purpose: {"marketing": true}
    consent: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class ContactMerge(Base):
    """`absorbed` became part of `survivor` because a capture named both: the identifiers
    that bridged them are the evidence. Undone, both are whole again and kept apart."""

    __tablename__ = "contact_merges"
    __table_args__ = (
        Index("ix_contact_merges_survivor", "survivor_id"),
        Index("ix_contact_merges_absorbed", "absorbed_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(40), index=True)
    survivor_id: Mapped[str] = mapped_column(String(40))
    absorbed_id: Mapped[str] = mapped_column(String(40))
    #: [{"kind": "phone", "value": "+86..."}, ...]
    evidence: Mapped[list] = mapped_column(JSON)
    activity_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    undone_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    undo_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class KeepApart(Base):
    """Two contacts a person (or a shared identifier) separated: no capture merges them."""

    __tablename__ = "contacts_kept_apart"

    organization_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    first_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    second_id: Mapped[str] = mapped_column(String(40), primary_key=True)


class StageChange(Base):
    """A contact moved from one stage to another, by whom (a person, a key, the MQL
    trigger) and why."""

    __tablename__ = "lead_stage_changes"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(40))
    contact_id: Mapped[str] = mapped_column(String(40), index=True)
    stage_before: Mapped[str | None] = mapped_column(String(16), nullable=True)
    stage: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: a deal won (customer) or an opportunity: its amount in minor units, and currency
    amount_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)


class LeadForm(Base):
    """A form Accord hosts for the brand (on its own page, or framed in the brand's site):
    which fields it asks, the consents it asks for with their text, what a submission is
    (a download of a white paper, a registration), and its thank-you."""

    __tablename__ = "lead_forms"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: the activity a submission records, and what it is about
    activity: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str | None] = mapped_column(String(500), nullable=True)
    campaign: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: [{"name": "email", "required": true}, ...]
    fields: Mapped[list] = mapped_column(JSON)
    #: [{"purpose": "marketing", "text": "...", "required": false}, ...]
    consents: Mapped[list] = mapped_column(JSON)
    thanks: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: a gated download: shown on the thank-you page
    download_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    submissions: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LeadTask(Base):
    """Something to do about a contact by a day (call back, send the quote), for a user."""

    __tablename__ = "lead_tasks"
    __table_args__ = (Index("ix_lead_tasks_owner_due", "organization_id", "owner_id", "due"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(40))
    contact_id: Mapped[str] = mapped_column(String(40), index=True)
    origin_contact_id: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    title: Mapped[str] = mapped_column(String(500))
    due: Mapped[date] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class LeadHandoff(Base):
    """A contact handed to the brand's CRM by webhook: the body as sent, each attempt's
    outcome, and when to try again."""

    __tablename__ = "lead_handoffs"
    __table_args__ = (
        Index("ix_lead_handoffs_due", "status", "next_at"),
        Index("ix_lead_handoffs_org", "organization_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(40))
    contact_id: Mapped[str] = mapped_column(String(40), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    format: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    #: pending, sent, failed (the schedule of attempts is over)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: when the current schedule of attempts began: its creation, or a person sending it
    #: again after it gave up (None: created_at)
    retried_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class LeadModel(Base):
    """A brand's predictive model: trained (its numbers, AUC and outcome counts) or not,
    with the counts that were too few."""

    __tablename__ = "lead_models"

    organization_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: trained, too_few
    status: Mapped[str] = mapped_column(String(16))
    model: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    won: Mapped[int] = mapped_column(Integer, default=0)
    lost: Mapped[int] = mapped_column(Integer, default=0)
    predicted: Mapped[int] = mapped_column(Integer, default=0)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LeadQrCode(Base):
    """A printed code that opens a hosted form and credits everyone it brings to the place
    it hangs: a store, an event, an employee, a partner, a poster."""

    __tablename__ = "lead_qr_codes"
    __table_args__ = (Index("ix_lead_qr_codes_form", "form_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(40), index=True)
    form_id: Mapped[str] = mapped_column(String(40))
    #: store, event, employee, partner, print
    place: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200))
    scans: Mapped[int] = mapped_column(Integer, default=0)
    people: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NurtureSequence(Base):
    """A brand's nurturing sequence: its steps, who it is for (contacts at some stages,
    with an e-mail address), the consent it needs, how fast it may send, and whether it
    runs (draft, active, paused)."""

    __tablename__ = "nurture_sequences"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    #: [{"kind": "email", "subject": ..., "body": ...}, {"kind": "wait", "days": 3}, ...]
    steps: Mapped[list] = mapped_column(JSON)
    #: the stages a person is nurtured at: moving on (an MQL, a customer) ends it
    stages: Mapped[list] = mapped_column(JSON)
    #: everyone at those stages with an e-mail address enters, now and as they come
    auto_enrol: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the consent purpose its mail needs, and whether it must be given (not only not
    #: withdrawn)
    purpose: Mapped[str] = mapped_column(String(40))
    needs_consent: Mapped[bool] = mapped_column(Boolean, default=True)
    #: the language of the mail's own words (the unsubscribe line)
    language: Mapped[str] = mapped_column(String(8))
    from_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    per_hour: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class NurtureEnrolment(Base):
    """A contact in a sequence: the step it runs next and when, or how it ended."""

    __tablename__ = "nurture_enrolments"
    __table_args__ = (
        Index("ux_nurture_enrolments_once", "sequence_id", "contact_id", unique=True),
        Index("ix_nurture_enrolments_due", "status", "next_at"),
        Index("ix_nurture_enrolments_contact", "contact_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(40))
    sequence_id: Mapped[str] = mapped_column(String(40))
    contact_id: Mapped[str] = mapped_column(String(40))
    #: the step to run next (0-based)
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: active, done (the steps are over), exited (a branch, a stage, an unsubscribe...)
    status: Mapped[str] = mapped_column(String(16))
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    enrolled_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: why it ended: finished, branch, stage, unsubscribed, no_consent, no_email, merged,
    #: stopped
    reason: Mapped[str | None] = mapped_column(String(40), nullable=True)


class NurtureSend(Base):
    """One mail of a sequence to one person: where it went, whether it was sent, and when
    it was first opened and clicked. Its random token makes its links unguessable."""

    __tablename__ = "nurture_sends"
    __table_args__ = (
        Index("ix_nurture_sends_sequence", "sequence_id", "created_at"),
        Index("ix_nurture_sends_contact", "contact_id"),
        Index("ix_nurture_sends_enrolment", "enrolment_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    token: Mapped[str] = mapped_column(String(64))
    organization_id: Mapped[str] = mapped_column(String(40))
    sequence_id: Mapped[str] = mapped_column(String(40))
    enrolment_id: Mapped[str] = mapped_column(String(40))
    contact_id: Mapped[str] = mapped_column(String(40))
    step: Mapped[int] = mapped_column(Integer)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500))
    links: Mapped[list] = mapped_column(JSON)
    #: sending, sent, failed
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    opens: Mapped[int] = mapped_column(Integer, default=0)
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    #: the links clicked at least once (their numbers)
    clicked_links: Mapped[list | None] = mapped_column(JSON, nullable=True)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AnonymousVisit(Base):
    """Something a browser did on the brand's site (a page view, a content view, a custom
    event) before its person was known: kept by the tag's cookie id until a form, a gated
    download or an identify call names the person, then moved into their activities."""

    __tablename__ = "lead_anonymous_visits"
    __table_args__ = (Index("ix_lead_anonymous_visits_cookie", "organization_id", "cookie", "at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(40))
    cookie: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str | None] = mapped_column(String(40), nullable=True)
    source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    campaign: Mapped[str | None] = mapped_column(String(200), nullable=True)
    utm: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    referrer: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    keyword: Mapped[str | None] = mapped_column(String(200), nullable=True)
    subject: Mapped[str | None] = mapped_column(String(500), nullable=True)
    data: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class LeadContent(Base):
    """An item of the brand's content library: an article, a white paper or a slide deck
    (a PDF kept here), a video, an event or livestream page; with its public page, tags and
    category, and the form that gates its download (if any)."""

    __tablename__ = "lead_content"
    __table_args__ = (Index("ix_lead_content_org", "organization_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    #: article, white_paper, deck, video, event, livestream
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: where a video, a livestream or an outside file is
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    tags: Mapped[list] = mapped_column(JSON)
    category: Mapped[str | None] = mapped_column(String(100), nullable=True)
    #: the hosted form a person sends to get the file (None: free)
    form_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    file_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    file_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    file_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    file: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))
    views: Mapped[int] = mapped_column(Integer, default=0)
    downloads: Mapped[int] = mapped_column(Integer, default=0)
    shares: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LeadContentGrant(Base):
    """A person who sent a content item's gate form may download its file through this
    random token (kept so that each download is theirs)."""

    __tablename__ = "lead_content_grants"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(40))
    content_id: Mapped[str] = mapped_column(String(40), index=True)
    contact_id: Mapped[str] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LeadEvent(Base):
    """A conference, seminar, trade show or livestream the brand holds: when and where,
    its public page with registration, and the reminders sent before it."""

    __tablename__ = "lead_events"
    __table_args__ = (Index("ix_lead_events_org", "organization_id", "starts_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    #: conference, seminar, trade_show, livestream
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: the IANA zone its times are shown in (Asia/Shanghai)
    timezone: Mapped[str] = mapped_column(String(64))
    place: Mapped[str | None] = mapped_column(String(500), nullable=True)
    #: a livestream's address, given to the registered
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: hours before the start at which registrants are reminded, e.g. [24, 1]
    reminders: Mapped[list] = mapped_column(JSON)
    #: the consent purposes its registration form asks, with their text
    consents: Mapped[list] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(8))
    #: open (registration taken), closed
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LeadEventRegistration(Base):
    """A person registered for an event: their ticket (a random token shown as a QR code at
    the door), the reminders sent, and whether they came."""

    __tablename__ = "lead_event_registrations"
    __table_args__ = (
        Index("ux_lead_event_registrations_once", "event_id", "contact_id", unique=True),
        Index("ix_lead_event_registrations_contact", "contact_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(40), index=True)
    contact_id: Mapped[str] = mapped_column(String(40))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: the reminders sent, by hours before the start
    reminded: Mapped[list] = mapped_column(JSON)
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: how attendance was known: door (the ticket scanned), console, import
    attended_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
