"""PDF documents for money: a partner's payout statement and a brand's invoice. Pure, no I/O.

Every figure on a document is either given by a line or computed from lines with `Money`;
a statement or invoice whose stated total differs from its lines is refused with a
ValueError before anything is drawn. Labels come in English and Simplified Chinese;
amounts and dates are formatted with Babel for the chosen locale.

Fonts: English text uses the PDF core font Helvetica (nothing embedded, smallest file).
Chinese text, or any text outside Windows-1252 such as a Chinese partner name in an English
statement, needs a CJK font; a subset of Noto Sans CJK SC (Debian's `fonts-noto-cjk`) is
embedded, so the file shows the same on every viewer. Without such a font `CjkFontMissing`
is raised, naming the package to install.
"""

# Chinese labels use full-width punctuation on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Literal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_interval
from babel.numbers import format_currency, format_percent
from fontTools.ttLib import TTCollection
from fpdf import FPDF, FontFace
from fpdf.errors import FPDFUnicodeEncodingException

from accord.money import Money, check_currency

__all__ = [
    "CJK_FONT_CANDIDATES",
    "CjkFont",
    "CjkFontMissing",
    "Clawback",
    "FontFile",
    "Invoice",
    "InvoiceLine",
    "InvoiceTotals",
    "Party",
    "PayoutMethod",
    "Statement",
    "StatementLine",
    "StatementTotals",
    "find_cjk_font",
    "render_invoice",
    "render_statement",
]


# ---------------------------------------------------------------------------------------------
# Input: plain dataclasses, checked on construction
# ---------------------------------------------------------------------------------------------


def _same_currency(currency: str, amounts: Iterable[tuple[str, Money]]) -> None:
    for name, money in amounts:
        if not isinstance(money, Money):
            raise TypeError(f"{name} must be Money, not {type(money).__name__}")
        if money.currency != currency:
            raise ValueError(f"{name} is in {money.currency}, the document is in {currency}")
        if money.quantized() != money:
            raise ValueError(f"{name} {money.amount} has more digits than {currency} allows")


def _sum(amounts: Iterable[Money], currency: str) -> Money:
    total = Money.zero(currency)
    for amount in amounts:
        total = total + amount
    return total


PayoutKind = Literal["sepa", "paypal", "bank", "manual"]


@dataclass(frozen=True, slots=True)
class PayoutMethod:
    """How the money was sent; `account` is the full IBAN, e-mail or account number.

    Documents only ever show it masked (`masked_account`).
    """

    kind: PayoutKind
    account: str

    def __post_init__(self) -> None:
        if self.kind not in ("sepa", "paypal", "bank", "manual"):
            raise ValueError(
                f"unknown payout method {self.kind!r}: use sepa, paypal, bank or manual"
            )
        if self.kind != "manual" and not self.account.strip():
            raise ValueError("payout method needs an account")

    @property
    def masked_account(self) -> str:
        """The account with all but a few characters hidden: `DE89 **** 3000`, `a***@x.com`."""
        if self.kind == "paypal":
            local, _, domain = self.account.strip().partition("@")
            return f"{local[:1]}***@{domain}" if domain else f"{local[:1]}***"
        compact = "".join(self.account.split()).upper()
        if self.kind == "sepa" and len(compact) >= 12:
            return f"{compact[:4]} **** {compact[-4:]}"
        return f"**** {compact[-4:]}" if len(compact) > 6 else "****"


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One commission settled by the payout; the final commission is original + adjustments."""

    occurred_on: date
    order_id: str
    event_type: str
    rule_name: str
    original: Money
    adjustments: Money
    status: str

    @property
    def final(self) -> Money:
        return self.original + self.adjustments


@dataclass(frozen=True, slots=True)
class Clawback:
    """A commission paid in an earlier payout and taken back here; `amount` is positive."""

    occurred_on: date
    order_id: str
    reason: str
    earlier_payout_id: str
    amount: Money


@dataclass(frozen=True, slots=True)
class StatementTotals:
    gross: Money
    clawbacks: Money
    net: Money


@dataclass(frozen=True, slots=True)
class Statement:
    """What one payout settled for one partner. Refused unless the lines add up to `net_paid`."""

    program_name: str
    brand_name: str
    partner_name: str
    partner_id: str
    payout_id: str
    batch_id: str
    paid_on: date
    period_start: date
    period_end: date
    method: PayoutMethod
    net_paid: Money
    lines: Sequence[StatementLine]
    clawbacks: Sequence[Clawback] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.lines))
        object.__setattr__(self, "clawbacks", tuple(self.clawbacks))
        if self.period_start > self.period_end:
            raise ValueError("statement period starts after it ends")
        currency = check_currency(self.net_paid.currency)
        amounts = [("net_paid", self.net_paid)]
        for line in self.lines:
            amounts += [
                (f"line {line.order_id} original", line.original),
                (f"line {line.order_id} adjustments", line.adjustments),
            ]
        for claw in self.clawbacks:
            amounts.append((f"clawback {claw.order_id}", claw.amount))
            if claw.amount.amount <= 0:
                raise ValueError(f"clawback {claw.order_id} must be a positive amount taken back")
        _same_currency(currency, amounts)
        net = self.totals.net
        if net != self.net_paid:
            raise ValueError(
                f"statement for payout {self.payout_id} does not add up: the lines give "
                f"{net} (gross {self.totals.gross} less clawbacks {self.totals.clawbacks}) "
                f"but net_paid is {self.net_paid}; difference {self.net_paid - net}"
            )
        if net.amount <= 0:
            raise ValueError(f"payout {self.payout_id} pays {net}: a payout must be positive")

    @property
    def currency(self) -> str:
        return self.net_paid.currency

    @property
    def totals(self) -> StatementTotals:
        """Gross commissions, clawbacks and net, computed from the lines."""
        gross = _sum((line.final for line in self.lines), self.currency)
        clawbacks = _sum((claw.amount for claw in self.clawbacks), self.currency)
        return StatementTotals(gross, clawbacks, gross - clawbacks)


@dataclass(frozen=True, slots=True)
class Party:
    """Who issues or pays an invoice."""

    name: str
    address: Sequence[str] = ()
    tax_id: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "address", tuple(self.address))


InvoiceLineKind = Literal["commissions", "clawbacks"]


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """Commissions approved, or clawbacks credited, for one program (and partner, if given).

    `amount` is always positive: `kind` says whether it is charged or credited.
    """

    kind: InvoiceLineKind
    program_name: str
    amount: Money
    count: int
    partner_name: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("commissions", "clawbacks"):
            raise ValueError(f"unknown invoice line kind {self.kind!r}")
        if self.count < 0:
            raise ValueError("count must not be negative")

    @property
    def signed(self) -> Money:
        return self.amount if self.kind == "commissions" else -self.amount


@dataclass(frozen=True, slots=True)
class InvoiceTotals:
    commissions: Money
    clawbacks: Money
    subtotal: Money
    platform_fee: Money
    total_due: Money


@dataclass(frozen=True, slots=True)
class Invoice:
    """What a brand owes for a period: net commissions plus the platform fee on them.

    The fee is `platform_fee_rate` (0.05 for 5 %) of the subtotal, rounded half-up once.
    Refused unless the lines give `total_due`.
    """

    invoice_number: str
    issued_on: date
    due_on: date
    period_start: date
    period_end: date
    issuer: Party
    bill_to: Party
    platform_fee_rate: Decimal
    lines: Sequence[InvoiceLine]
    total_due: Money
    payment_terms: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.lines))
        if self.period_start > self.period_end:
            raise ValueError("invoice period starts after it ends")
        if self.due_on < self.issued_on:
            raise ValueError("invoice is due before it is issued")
        if not isinstance(self.platform_fee_rate, Decimal) or not (0 <= self.platform_fee_rate < 1):
            raise ValueError("platform_fee_rate must be a Decimal from 0 to under 1")
        currency = check_currency(self.total_due.currency)
        amounts = [("total_due", self.total_due)]
        for line in self.lines:
            amounts.append((f"{line.kind} line {line.program_name}", line.amount))
            if line.amount.amount < 0:
                raise ValueError(f"{line.kind} line {line.program_name}: amount is negative")
        _same_currency(currency, amounts)
        totals = self.totals
        if totals.subtotal.amount < 0:
            raise ValueError(
                f"clawbacks exceed commissions by {-totals.subtotal}: issue a credit note instead"
            )
        if totals.total_due != self.total_due:
            raise ValueError(
                f"invoice {self.invoice_number} does not add up: the lines give "
                f"{totals.total_due} (subtotal {totals.subtotal} plus fee "
                f"{totals.platform_fee}) but total_due is {self.total_due}; "
                f"difference {self.total_due - totals.total_due}"
            )

    @property
    def currency(self) -> str:
        return self.total_due.currency

    @property
    def totals(self) -> InvoiceTotals:
        """Every total on the invoice, computed from the lines."""
        charged = [line.amount for line in self.lines if line.kind == "commissions"]
        credited = [line.amount for line in self.lines if line.kind == "clawbacks"]
        commissions = _sum(charged, self.currency)
        clawbacks = _sum(credited, self.currency)
        subtotal = commissions - clawbacks
        fee = subtotal.times(self.platform_fee_rate)
        return InvoiceTotals(commissions, clawbacks, subtotal, fee, subtotal + fee)


# ---------------------------------------------------------------------------------------------
# Words and formats
# ---------------------------------------------------------------------------------------------

_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "statement": "Partner statement",
        "program": "Program",
        "partner": "Partner",
        "partner_id": "Partner ID",
        "payout_id": "Payout ID",
        "batch_id": "Batch ID",
        "paid_on": "Date paid",
        "period": "Period",
        "method": "Payout method",
        "settled": "Commissions settled",
        "date": "Date",
        "order": "Order",
        "event": "Event",
        "rule": "Rule",
        "original": "Original",
        "adjustments": "Adjustments",
        "final": "Commission",
        "status": "Status",
        "clawbacks_title": "Clawbacks from earlier payouts",
        "reason": "Reason",
        "earlier_payout": "Earlier payout",
        "amount": "Amount",
        "gross": "Gross commissions",
        "clawbacks": "Clawbacks",
        "net": "Net paid",
        "page": "Page {page} of {pages}",
        "sepa": "SEPA transfer to IBAN {account}",
        "paypal": "PayPal to {account}",
        "bank": "Bank transfer to account {account}",
        "manual": "Paid by the brand directly (no payout method on file)",
        "invoice": "Invoice",
        "invoice_number": "Invoice number",
        "issued_on": "Issue date",
        "due_on": "Due date",
        "issuer": "From",
        "bill_to": "Bill to",
        "tax_id": "Tax ID: {tax_id}",
        "labelled": "{label}: {value}",
        "description": "Description",
        "items": "Items",
        "all_partners": "All partners",
        "commissions_line": "Commissions approved",
        "clawbacks_line": "Clawbacks credited",
        "commissions_total": "Commissions approved",
        "clawbacks_total": "Clawbacks credited",
        "subtotal": "Subtotal",
        "fee": "Platform fee ({rate} of subtotal)",
        "total_due": "Total due ({currency})",
        "payment_terms": "Payment terms",
        "no_lines": "No commissions or clawbacks in this period.",
    },
    "zh_Hans": {
        "statement": "合作伙伴结算单",
        "program": "推广计划",
        "partner": "合作伙伴",
        "partner_id": "合作伙伴编号",
        "payout_id": "付款编号",
        "batch_id": "批次编号",
        "paid_on": "付款日期",
        "period": "结算周期",
        "method": "付款方式",
        "settled": "本次结算的佣金",
        "date": "日期",
        "order": "订单号",
        "event": "事件",
        "rule": "佣金规则",
        "original": "原始金额",
        "adjustments": "调整",
        "final": "最终佣金",
        "status": "状态",
        "clawbacks_title": "从以往付款中追回的佣金",
        "reason": "原因",
        "earlier_payout": "原付款编号",
        "amount": "金额",
        "gross": "佣金总额",
        "clawbacks": "追回金额",
        "net": "实付金额",
        "page": "第 {page} 页，共 {pages} 页",
        "sepa": "SEPA 转账至 IBAN {account}",
        "paypal": "PayPal 付款至 {account}",
        "bank": "银行转账至账户 {account}",
        "manual": "由品牌方直接支付（未设置收款方式）",
        "invoice": "账单",
        "invoice_number": "账单编号",
        "issued_on": "开具日期",
        "due_on": "付款截止日期",
        "issuer": "开具方",
        "bill_to": "付款方",
        "tax_id": "税号：{tax_id}",
        "labelled": "{label}：{value}",
        "description": "项目",
        "items": "笔数",
        "all_partners": "全部合作伙伴",
        "commissions_line": "已批准佣金",
        "clawbacks_line": "追回佣金抵扣",
        "commissions_total": "已批准佣金",
        "clawbacks_total": "追回佣金抵扣",
        "subtotal": "小计",
        "fee": "平台服务费（小计的 {rate}）",
        "total_due": "应付总额（{currency}）",
        "payment_terms": "付款条款",
        "no_lines": "本期没有佣金或追回。",
    },
}

#: Known event types and statuses; anything else is shown as given.
_TERMS: dict[str, dict[str, str]] = {
    "en": {
        "sale": "Sale",
        "lead": "Lead",
        "signup": "Sign-up",
        "subscription": "Subscription",
        "click": "Click",
        "bonus": "Bonus",
        "fee": "Creator fee",
        "bounty": "Bounty",
        "approved": "Approved",
        "paid": "Paid",
        "pending": "Pending",
        "adjusted": "Adjusted",
        "reversed": "Reversed",
        "refund": "Refund",
        "chargeback": "Chargeback",
        "cancelled": "Cancelled",
    },
    "zh_Hans": {
        "sale": "销售",
        "lead": "线索",
        "signup": "注册",
        "subscription": "订阅",
        "click": "点击",
        "bonus": "奖励",
        "fee": "创作费用",
        "bounty": "限时奖励",
        "approved": "已批准",
        "paid": "已支付",
        "pending": "待审核",
        "adjusted": "已调整",
        "reversed": "已冲销",
        "refund": "退款",
        "chargeback": "拒付",
        "cancelled": "已取消",
    },
}

#: Babel puts thin spaces into some patterns; Helvetica has no glyph for them.
_SPACES = str.maketrans({"\u2009": " ", "\u202f": " ", "\u200a": " "})


class _Words:
    """Labels, amounts and dates in one locale."""

    def __init__(self, locale: str) -> None:
        try:
            parsed = Locale.parse(locale.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            raise ValueError(f"unknown locale {locale!r}: use 'en' or 'zh_Hans'") from None
        if parsed.language == "en":
            self.key = "en"
        elif parsed.language == "zh" and parsed.script in (None, "Hans"):
            self.key = "zh_Hans"
        else:
            raise ValueError(f"no labels for locale {locale!r}: use 'en' or 'zh_Hans'")
        self.babel = parsed if self.key == "en" else Locale.parse("zh_Hans")
        self.cjk = self.key == "zh_Hans"

    def __getitem__(self, key: str) -> str:
        return _LABELS[self.key][key]

    def term(self, value: str) -> str:
        return _TERMS[self.key].get(value.lower(), value)

    def money(self, money: Money) -> str:
        amount = money.quantized().amount
        return format_currency(amount, money.currency, locale=self.babel).translate(_SPACES)

    def day(self, value: date) -> str:
        return format_date(value, "medium", locale=self.babel).translate(_SPACES)

    def short_day(self, value: date) -> str:
        """A date for a narrow table column: `Oct 1, 2026`, `2026/10/1`."""
        style = "short" if self.cjk else "medium"
        return format_date(value, style, locale=self.babel).translate(_SPACES)

    def period(self, start: date, end: date) -> str:
        text = format_interval(start, end, "yMMMd", locale=self.babel)
        return text.translate(_SPACES)

    def percent(self, rate: Decimal) -> str:
        return format_percent(rate, "#,##0.##%", locale=self.babel)

    def method(self, method: PayoutMethod) -> str:
        return self[method.kind].format(account=method.masked_account)


# ---------------------------------------------------------------------------------------------
# Fonts
# ---------------------------------------------------------------------------------------------


class CjkFontMissing(RuntimeError):
    """No font with Chinese glyphs was found; the message says what to install."""


@dataclass(frozen=True, slots=True)
class FontFile:
    path: Path
    index: int = 0


@dataclass(frozen=True, slots=True)
class CjkFont:
    regular: FontFile
    bold: FontFile


_FONT_DIR = Path(__file__).with_name("fonts")

#: (regular, bold) files searched in order; a font put in the package's fonts/ folder wins.
CJK_FONT_CANDIDATES: list[tuple[Path, Path]] = [
    (_FONT_DIR / "NotoSansCJK-Regular.ttc", _FONT_DIR / "NotoSansCJK-Bold.ttc"),
    (_FONT_DIR / "NotoSansSC-Regular.otf", _FONT_DIR / "NotoSansSC-Bold.otf"),
    *(
        (Path(folder) / "NotoSansCJK-Regular.ttc", Path(folder) / "NotoSansCJK-Bold.ttc")
        for folder in (
            "/usr/share/fonts/opentype/noto",  # Debian, Ubuntu
            "/usr/share/fonts/noto-cjk",  # Arch, openSUSE
            "/usr/share/fonts/google-noto-cjk",  # Fedora
            "/usr/local/share/fonts",
        )
    ),
    (
        Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
        Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    ),
]


@functools.cache
def _simplified_face(path: Path) -> int:
    """Index of the Simplified Chinese face in a font collection (0 for a single font)."""
    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    collection = TTCollection(str(path), lazy=True)
    names = [face["name"].getDebugName(1) or "" for face in collection.fonts]
    for i, name in enumerate(names):
        if name.endswith(" SC") and "Mono" not in name:
            return i
    return 0


def find_cjk_font() -> CjkFont | None:
    """The first installed CJK font of `CJK_FONT_CANDIDATES`, or None."""
    for regular, bold in CJK_FONT_CANDIDATES:
        if regular.is_file():
            bold = bold if bold.is_file() else regular
            return CjkFont(
                FontFile(regular, _simplified_face(regular)),
                FontFile(bold, _simplified_face(bold)),
            )
    return None


def _require_cjk_font(why: str) -> CjkFont:
    font = find_cjk_font()
    if font is None:
        raise CjkFontMissing(
            f"{why} needs a CJK font and none was found: install Noto Sans CJK "
            "(Debian/Ubuntu: apt-get install fonts-noto-cjk) or put NotoSansSC-Regular.otf "
            f"and NotoSansSC-Bold.otf in {_FONT_DIR}"
        )
    return font


# ---------------------------------------------------------------------------------------------
# Page layout
# ---------------------------------------------------------------------------------------------

_INK = (33, 37, 41)
_MUTED = (108, 117, 125)
_ACCENT = (23, 72, 122)
_RULE = (206, 212, 218)
_BAND = (241, 244, 248)
_ZEBRA = (248, 249, 251)
_MARGIN = 16.0


class _Page(FPDF):
    """A4 pages with a running header after the first page and numbered footers."""

    def __init__(self, words: _Words, font: CjkFont | None, running: str, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.words = words
        self.running = running
        if font is None:
            self.family = "helvetica"
            self.core_fonts_encoding = "windows-1252"
        else:
            self.family = "notocjk"
            self.add_font(
                self.family, "", font.regular.path, collection_font_number=font.regular.index
            )
            self.add_font(self.family, "B", font.bold.path, collection_font_number=font.bold.index)
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_auto_page_break(True, margin=18)
        self.set_title(title)
        self.set_creator("Accord")
        self.set_lang("zh-CN" if words.cjk else "en")
        self.set_text_color(*_INK)
        self.set_draw_color(*_RULE)

    def use(self, size: float, bold: bool = False, color: tuple[int, int, int] = _INK) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.set_text_color(*color)

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.use(8, color=_MUTED)
        self.cell(0, 5, self.running, new_x="LMARGIN", new_y="NEXT")
        y = self.get_y() + 1
        self.line(_MARGIN, y, self.w - _MARGIN, y)
        self.set_y(y + 4)

    def footer(self) -> None:
        self.set_y(-13)
        y = self.get_y()
        self.line(_MARGIN, y, self.w - _MARGIN, y)
        self.set_y(y + 1.5)
        self.use(7.5, color=_MUTED)
        self.cell(self.epw / 2, 5, self.running)
        page = self.words["page"].format(page=self.page_no(), pages=self.str_alias_nb_pages)
        self.cell(self.epw / 2, 5, page, align="R")

    def title_block(self, left: str, sub: str, title: str) -> None:
        """Issuer or brand on the left, the document's title on the right, then a rule."""
        top = self.get_y()
        self.use(16, bold=True)
        self.multi_cell(self.epw * 0.6, 8, left, align="L", new_x="LMARGIN", new_y="NEXT")
        if sub:
            self.use(9.5, color=_MUTED)
            self.multi_cell(self.epw * 0.6, 5, sub, align="L", new_x="LMARGIN", new_y="NEXT")
        bottom = self.get_y()
        self.set_xy(_MARGIN + self.epw * 0.6, top)
        self.use(15, bold=True, color=_ACCENT)
        self.cell(self.epw * 0.4, 8, title, align="R")
        self.set_y(max(bottom, top + 8) + 3)
        self.set_draw_color(*_ACCENT)
        self.set_line_width(0.6)
        self.line(_MARGIN, self.get_y(), self.w - _MARGIN, self.get_y())
        self.set_line_width(0.2)
        self.set_draw_color(*_RULE)
        self.ln(5)

    def facts(self, x: float, width: float, rows: Sequence[tuple[str, str]]) -> float:
        """Label and value pairs in a column starting at x; returns the y below them."""
        label_w = min(30.0, width * 0.4)
        for label, value in rows:
            self.set_x(x)
            self.use(8.5, color=_MUTED)
            self.cell(label_w, 5.5, label)
            self.use(9)
            self.multi_cell(width - label_w, 5.5, value, align="L", new_x="LEFT", new_y="NEXT")
        return self.get_y()

    def band(self, figures: Sequence[tuple[str, str, bool]]) -> None:
        """A shaded band of headline figures side by side."""
        top = self.get_y()
        height = 17.0
        self.set_fill_color(*_BAND)
        self.rect(_MARGIN, top, self.epw, height, style="F")
        width = self.epw / len(figures)
        for i, (label, value, strong) in enumerate(figures):
            x = _MARGIN + i * width + 4
            self.set_xy(x, top + 2.5)
            self.use(8, color=_MUTED)
            self.cell(width - 8, 4.5, label)
            self.set_xy(x, top + 7.5)
            size = 13.0 if strong else 11.5
            self.use(size, bold=True, color=_ACCENT if strong else _INK)
            while size > 7 and self.get_string_width(value) > width - 8:
                size -= 0.5  # a long value (a period in Chinese) shrinks to fit its column
                self.use(size, bold=True, color=_ACCENT if strong else _INK)
            self.cell(width - 8, 7, value)
        self.set_y(top + height + 6)

    def section(self, title: str) -> None:
        if self.will_page_break(22):
            self.add_page()
        self.use(10.5, bold=True)
        self.cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)

    def grid(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        aligns: Sequence[str],
    ) -> None:
        """A table with shaded rows whose heading repeats on every page it spans."""
        self.use(7.5)
        heading = FontFace(emphasis="BOLD", color=_MUTED, fill_color=_BAND, size_pt=7.5)
        with self.table(
            width=self.epw,
            col_widths=tuple(widths),
            text_align=tuple(aligns),
            align="LEFT",
            borders_layout="HORIZONTAL_LINES",
            headings_style=heading,
            cell_fill_color=_ZEBRA,
            cell_fill_mode="EVEN_ROWS",
            line_height=3.8,
            padding=(0.9, 1.2),
        ) as table:
            table.row(list(headings))
            for values in rows:
                table.row(list(values))
        self.ln(5)

    def totals(self, rows: Sequence[tuple[str, str, bool]]) -> None:
        """Right-aligned label and amount pairs; a strong row is bold with a rule above."""
        width = 92.0
        x = self.w - _MARGIN - width
        if self.will_page_break(7.5 * len(rows) + 4):
            self.add_page()
        for label, value, strong in rows:
            if strong:
                self.set_draw_color(*_INK)
                self.line(x, self.get_y() + 0.8, self.w - _MARGIN, self.get_y() + 0.8)
                self.set_draw_color(*_RULE)
                self.ln(2)
            self.set_x(x)
            self.use(10.5 if strong else 9, bold=strong, color=_INK if strong else _MUTED)
            self.cell(width * 0.58, 6.5, label)
            self.use(10.5 if strong else 9, bold=strong)
            self.cell(width * 0.42, 6.5, value, align="R", new_x="LMARGIN", new_y="NEXT")

    def note(self, title: str, text: str) -> None:
        self.ln(4)
        self.use(8.5, bold=True)
        self.cell(0, 5, title, new_x="LMARGIN", new_y="NEXT")
        self.use(8.5, color=_MUTED)
        self.multi_cell(0, 4.5, text, align="L", new_x="LMARGIN", new_y="NEXT")


def _render(
    draw: Callable[[_Page], None], words: _Words, running: str, title: str, stamp: date
) -> bytes:
    """Draw with Helvetica, or with the CJK font when the locale or the text needs it."""
    font = _require_cjk_font(f"locale {words.key}") if words.cjk else None
    try:
        page = _Page(words, font, running, title)
        draw(page)
    except FPDFUnicodeEncodingException:
        font = _require_cjk_font("text outside Windows-1252 (such as a Chinese name)")
        page = _Page(words, font, running, title)
        draw(page)
    page.set_creation_date(datetime.combine(stamp, time(0), tzinfo=UTC))
    return bytes(page.output())


# ---------------------------------------------------------------------------------------------
# The documents
# ---------------------------------------------------------------------------------------------


def render_statement(statement: Statement, *, locale: str = "en") -> bytes:
    """A partner's payout statement as PDF bytes, in English ("en") or Chinese ("zh_Hans")."""
    words = _Words(locale)
    s = statement
    totals = s.totals
    running = f"{s.brand_name} · {words['statement']} · {s.payout_id}"

    def draw(pdf: _Page) -> None:
        pdf.add_page()
        pdf.title_block(s.brand_name, s.program_name, words["statement"])
        top = pdf.get_y()
        half = pdf.epw / 2
        left = [
            (words["partner"], s.partner_name),
            (words["partner_id"], s.partner_id),
            (words["method"], words.method(s.method)),
        ]
        right = [
            (words["payout_id"], s.payout_id),
            (words["batch_id"], s.batch_id),
            (words["paid_on"], words.day(s.paid_on)),
            (words["period"], words.period(s.period_start, s.period_end)),
        ]
        y_left = pdf.facts(_MARGIN, half + 10, left)
        pdf.set_y(top)
        y_right = pdf.facts(_MARGIN + half + 14, half - 14, right)
        pdf.set_y(max(y_left, y_right) + 5)
        pdf.band(
            [
                (words["gross"], words.money(totals.gross), False),
                (words["clawbacks"], words.money(-totals.clawbacks), False),
                (words["net"], words.money(totals.net), True),
            ]
        )
        pdf.section(f"{words['settled']} ({len(s.lines)})")
        pdf.grid(
            [
                words["date"],
                words["order"],
                words["event"],
                words["rule"],
                words["original"],
                words["adjustments"],
                words["final"],
                words["status"],
            ],
            [
                [
                    words.short_day(line.occurred_on),
                    line.order_id,
                    words.term(line.event_type),
                    line.rule_name,
                    words.money(line.original),
                    words.money(line.adjustments) if not line.adjustments.is_zero() else "–",
                    words.money(line.final),
                    words.term(line.status),
                ]
                for line in s.lines
            ],
            (20, 24, 20, 33, 21, 20, 22, 18),
            ("LEFT", "LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "LEFT"),
        )
        if s.clawbacks:
            pdf.section(f"{words['clawbacks_title']} ({len(s.clawbacks)})")
            pdf.grid(
                [
                    words["date"],
                    words["order"],
                    words["reason"],
                    words["earlier_payout"],
                    words["amount"],
                ],
                [
                    [
                        words.short_day(claw.occurred_on),
                        claw.order_id,
                        words.term(claw.reason),
                        claw.earlier_payout_id,
                        words.money(-claw.amount),
                    ]
                    for claw in s.clawbacks
                ],
                (21, 27, 62, 44, 24),
                ("LEFT", "LEFT", "LEFT", "LEFT", "RIGHT"),
            )
        pdf.totals(
            [
                (words["gross"], words.money(totals.gross), False),
                (words["clawbacks"], words.money(-totals.clawbacks), False),
                (words["net"], words.money(totals.net), True),
            ]
        )
        pdf.use(8.5, color=_MUTED)
        pdf.ln(2)
        method = words["labelled"].format(label=words["method"], value=words.method(s.method))
        pdf.multi_cell(0, 4.5, method, align="L")

    return _render(draw, words, running, f"{words['statement']} {s.payout_id}", s.paid_on)


def _party_text(party: Party, words: _Words) -> str:
    lines = [*party.address]
    if party.tax_id:
        lines.append(words["tax_id"].format(tax_id=party.tax_id))
    return "\n".join(lines)


def render_invoice(invoice: Invoice, *, locale: str = "en") -> bytes:
    """A brand's invoice for a period as PDF bytes, in English ("en") or Chinese ("zh_Hans")."""
    words = _Words(locale)
    inv = invoice
    totals = inv.totals
    running = f"{inv.issuer.name} · {words['invoice']} {inv.invoice_number}"

    def draw(pdf: _Page) -> None:
        pdf.add_page()
        pdf.title_block(inv.issuer.name, _party_text(inv.issuer, words), words["invoice"])
        top = pdf.get_y()
        half = pdf.epw / 2
        pdf.use(8.5, color=_MUTED)
        pdf.cell(half - 6, 5, words["bill_to"], new_x="LMARGIN", new_y="NEXT")
        pdf.use(10.5, bold=True)
        pdf.multi_cell(half - 6, 5.5, inv.bill_to.name, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.use(9)
        address = _party_text(inv.bill_to, words)
        if address:
            pdf.multi_cell(half - 6, 4.8, address, align="L", new_x="LMARGIN", new_y="NEXT")
        y_left = pdf.get_y()
        pdf.set_y(top)
        y_right = pdf.facts(
            _MARGIN + half + 6,
            half - 6,
            [
                (words["invoice_number"], inv.invoice_number),
                (words["issued_on"], words.day(inv.issued_on)),
                (words["due_on"], words.day(inv.due_on)),
                (words["period"], words.period(inv.period_start, inv.period_end)),
            ],
        )
        pdf.set_y(max(y_left, y_right) + 6)
        total_label = words["total_due"].format(currency=inv.currency)
        pdf.band(
            [
                (words["period"], words.period(inv.period_start, inv.period_end), False),
                (words["due_on"], words.day(inv.due_on), False),
                (total_label, words.money(totals.total_due), True),
            ]
        )
        rows = [
            [
                words[f"{line.kind}_line"],
                line.program_name,
                line.partner_name or words["all_partners"],
                str(line.count),
                words.money(line.signed),
            ]
            for line in inv.lines
        ]
        if rows:
            pdf.grid(
                [
                    words["description"],
                    words["program"],
                    words["partner"],
                    words["items"],
                    words["amount"],
                ],
                rows,
                (40, 46, 46, 14, 32),
                ("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT"),
            )
        else:
            pdf.use(9, color=_MUTED)
            pdf.cell(0, 8, words["no_lines"], new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
        fee = words["fee"].format(rate=words.percent(inv.platform_fee_rate))
        pdf.totals(
            [
                (words["commissions_total"], words.money(totals.commissions), False),
                (words["clawbacks_total"], words.money(-totals.clawbacks), False),
                (words["subtotal"], words.money(totals.subtotal), False),
                (fee, words.money(totals.platform_fee), False),
                (total_label, words.money(totals.total_due), True),
            ]
        )
        if inv.payment_terms:
            pdf.note(words["payment_terms"], inv.payment_terms)

    return _render(draw, words, running, f"{words['invoice']} {inv.invoice_number}", inv.issued_on)
