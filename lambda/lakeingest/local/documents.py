"""A realistic PPA settlement statement PDF (fpdf2), used by the tests and to refresh the committed fixture."""

from __future__ import annotations


def settlement_statement_pdf(invoice_no: str = "PPA-2024-01-0117", site: str = "WF-ROSCOE") -> bytes:
    """A one-page PPA monthly settlement statement with ``Key: Value`` fields and a line-item table."""
    from fpdf import FPDF

    pdf = FPDF(format="Letter")
    pdf.set_creation_date(__import__("datetime").datetime(2024, 2, 3, 9, 0, 0))  # deterministic bytes
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 10, "Power Purchase Agreement - Monthly Settlement Statement", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    fields = [
        ("Invoice Number", invoice_no),
        ("Statement Date", "2024-02-03"),
        ("Billing Period", "2024-01-01 to 2024-01-31"),
        ("Seller", "Roscoe Wind Holdings LLC"),
        ("Buyer", "Lone Star Retail Energy LP"),
        ("Site", site),
        ("Settlement Point", "HB_WEST"),
        ("Contract Price", "USD 31.50/MWh"),
        ("Delivered Energy", "214,377.420 MWh"),
        ("Amount Due", "USD 6,752,888.73"),
        ("Due Date", "2024-03-04"),
    ]
    for key, value in fields:
        pdf.cell(0, 7, f"{key}: {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, "Line items", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for line in (
        "Energy delivered at HB_WEST    214,377.420 MWh x 31.50    6,752,888.73",
        "Basis adjustment (HB_WEST - HB_NORTH)                        -18,211.09",
        "REC transfer (ERCOT REC program)   214,377 RECs               18,211.09",
    ):
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
