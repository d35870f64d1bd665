"""One report, two renderings: a document of sections (text, tables, figures, spec tables) written
as Markdown with embedded images and as a self-contained HTML page.

    doc = Report("ebn_circuit report", folder)
    section = doc.section("Learning-block decision map")
    section.table(frame, source="decision_map/offsets.csv", caption="bounds per code")
    section.figure("decision_map/decision_map_tt.png", "decisions against the ideal bounds")
    doc.write()            # folder/report.md, folder/report.html

Tables on disk follow one convention (SI values; a unit suffix on the column name: ``_A``,
``_s``, ``_V``, ``_Hz``; fractions and counts bare); the report shows each column in the
engineering unit that suits it (nA, ms, µs, mV, %).
"""

from ebn_circuit.report.document import Figure, Report, Section, Table, Text

__all__ = ["Figure", "Report", "Section", "Table", "Text"]
