"""Documents in Simplified Chinese embed a CJK font subset; without one they fail clearly."""

# Babel and the Chinese labels use en dashes and full-width punctuation on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from accord.payouts import documents
from accord.payouts.documents import CjkFontMissing, render_invoice, render_statement
from tests.payout_documents.examples import (
    invoice,
    pdf_pages,
    pdf_text,
    squeezed,
    statement,
    statement_lines,
)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
needs_cjk_font = pytest.mark.skipif(
    documents.find_cjk_font() is None and not IN_CI,
    reason="no CJK font installed (apt-get install fonts-noto-cjk)",
)


def embedded_fonts(data: bytes) -> list[str]:
    """Base names of the fonts whose program is embedded in the file."""
    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"]
                if any(key in descriptor for key in ("/FontFile2", "/FontFile3")):
                    names.add(str(font["/BaseFont"]))
    return sorted(names)


@needs_cjk_font
def test_chinese_statement_has_chinese_labels_dates_and_page_numbers() -> None:
    data = render_statement(statement(statement_lines(200)), locale="zh_Hans")
    pages = [squeezed(page) for page in pdf_pages(data)]
    text = "".join(pages)
    for label in ("合作伙伴结算单", "付款编号", "批次编号", "佣金总额", "追回金额", "实付金额"):
        assert label in text
    assert "2026年11月5日" in text
    assert "2026年10月1日至31日" in text
    assert "SEPA转账至IBANDE89****3000" in text
    assert "€29,175.50" in text
    for number, page in enumerate(pages, start=1):
        assert f"第{number}页，共{len(pages)}页" in page
    assert len(data) < 1_000_000


@needs_cjk_font
def test_chinese_font_is_embedded_as_a_small_subset() -> None:
    data = render_invoice(invoice(), locale="zh_Hans")
    fonts = embedded_fonts(data)
    assert fonts and all("+" in name for name in fonts)  # subset tag, e.g. ABCDEF+Noto...
    assert len(data) < 150_000


@needs_cjk_font
def test_chinese_invoice_has_chinese_labels_and_totals() -> None:
    text = squeezed(pdf_text(render_invoice(invoice(), locale="zh_Hans")))
    for label in ("账单", "账单编号", "付款方", "已批准佣金", "追回佣金抵扣", "小计"):
        assert label in text
    assert "平台服务费（小计的5%）" in text
    assert "应付总额（EUR）" in text
    assert "€1,685.41" in text
    assert "2026年11月16日" in text


@needs_cjk_font
def test_chinese_name_in_an_english_statement_embeds_the_cjk_font() -> None:
    data = render_statement(statement(partner_name="王伟的户外店"), locale="en")
    assert "王伟的户外店" in squeezed(pdf_text(data))
    assert "Partnerstatement" in squeezed(pdf_text(data))
    assert embedded_fonts(data)


def test_english_statement_uses_the_core_font_and_embeds_nothing() -> None:
    data = render_statement(statement(), locale="en")
    assert embedded_fonts(data) == []
    assert len(data) < 20_000


def test_without_a_cjk_font_chinese_fails_clearly_and_english_still_renders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(documents, "CJK_FONT_CANDIDATES", [])
    with pytest.raises(CjkFontMissing, match="fonts-noto-cjk"):
        render_statement(statement(), locale="zh_Hans")
    with pytest.raises(CjkFontMissing, match="outside Windows-1252"):
        render_statement(statement(partner_name="王伟"), locale="en")
    assert "Partner statement" in pdf_text(render_statement(statement(), locale="en"))


def test_unsupported_locale_is_refused() -> None:
    with pytest.raises(ValueError, match="zh_Hans"):
        render_invoice(invoice(), locale="fr")
    with pytest.raises(ValueError, match="unknown locale"):
        render_invoice(invoice(), locale="xx_nowhere")


def test_regional_english_formats_dates_its_own_way() -> None:
    text = pdf_text(render_invoice(invoice(), locale="en_GB"))
    assert "16 Nov 2026" in text


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm not installed")
@pytest.mark.parametrize("locale", ["en", pytest.param("zh_Hans", marks=needs_cjk_font)])
def test_documents_rasterise_without_errors(locale: str, tmp_path: Path) -> None:
    for name, data in (
        ("statement", render_statement(statement(statement_lines(40)), locale=locale)),
        ("invoice", render_invoice(invoice(), locale=locale)),
    ):
        pdf = tmp_path / f"{name}.pdf"
        pdf.write_bytes(data)
        run = subprocess.run(
            ["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / name)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        assert run.stderr == ""
        assert list(tmp_path.glob(f"{name}-*.png"))
