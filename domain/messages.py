"""Every sentence briefwerk says to a person, in German and English, keyed by a stable id.

Errors and findings carry a key and their facts; the text is rendered only at the edge
(Slack view, CLI, email), in the reader's language.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any

DEFAULT_LOCALE = "de"

CATALOG: dict[str, dict[str, str]] = {
    # --- roles and state -------------------------------------------------------------
    "role.missing": {
        "de": "Dafür fehlt Ihnen die Rolle {role}.",
        "en": "You need the {role} role for this.",
    },
    "state.illegal_transition": {
        "de": "Serienbrief „{title}“ ist {state_from}; „{action}“ ist in diesem Zustand nicht möglich.",
        "en": "Serial letter “{title}” is {state_from}; “{action}” is not possible in this state.",
    },
    "not_found": {
        "de": "{what} {ref} wurde nicht gefunden.",
        "en": "{what} {ref} was not found.",
    },
    # --- workflow ---------------------------------------------------------------------
    "state.draft": {"de": "Entwurf", "en": "draft"},
    "state.released": {"de": "im Kundenportal freigegeben", "en": "released to the portal"},
    "state.dispatch_ordered": {"de": "Versand beauftragt", "en": "dispatch ordered"},
    "state.cancelled": {"de": "Versand storniert", "en": "dispatch cancelled"},
    "state.with_provider": {"de": "beim Versanddienstleister", "en": "with the provider"},
    "state.printed": {"de": "gedruckt", "en": "printed"},
    "state.posted": {"de": "versendet", "en": "posted"},
    "state.failed": {"de": "Versand fehlgeschlagen", "en": "dispatch failed"},
    "state.deleted": {"de": "gelöscht", "en": "deleted"},
    "action.release": {"de": "Im Kundenportal freigeben", "en": "Release to the portal"},
    "action.unrelease": {"de": "Freigabe zurücknehmen", "en": "Withdraw from the portal"},
    "action.delete": {"de": "Serienbrief löschen", "en": "Delete serial letter"},
    "action.order": {"de": "Briefversand beauftragen", "en": "Order dispatch"},
    "action.cancel": {"de": "Briefversand stornieren", "en": "Cancel dispatch"},
    "action.edit_documents": {"de": "Dokumente bearbeiten", "en": "Edit documents"},
    "action.configure_dispatch": {"de": "Versand einstellen", "en": "Configure dispatch"},
    "action.provider_update": {"de": "Status vom Dienstleister", "en": "Provider status"},
    "role.staff": {"de": "Sachbearbeitung", "en": "staff"},
    "role.admin": {"de": "Administration", "en": "admin"},
    "role.manager": {"de": "Manager-Freigabe", "en": "manager"},
    # --- who gets paper ----------------------------------------------------------------
    "paper.all_contacts": {
        "de": "Filter „Alle Kontakte“ – erhält Post",
        "en": "filter “all contacts” – gets a letter",
    },
    "paper.registered_prefers_online": {
        "de": "registriert, Präferenz Online – keine Post",
        "en": "registered, prefers online – no letter",
    },
    "paper.registered_prefers_letter": {
        "de": "registriert, Präferenz Brief – erhält Post",
        "en": "registered, prefers letter – gets a letter",
    },
    "paper.not_registered": {
        "de": "nicht registriert – immer per Post",
        "en": "not registered – always by post",
    },
    "paper.registered_filtered_out": {
        "de": "registriert – Filter „Nicht registrierte Kontakte“ – keine Post",
        "en": "registered – filter “unregistered contacts” – no letter",
    },
    "paper.ticked": {"de": "von Ihnen ausgewählt – erhält Post", "en": "ticked by you – gets a letter"},
    "paper.unticked": {"de": "von Ihnen abgewählt – keine Post", "en": "unticked by you – no letter"},
    "paper.no_postal_address": {
        "de": "keine vollständige Postanschrift – kein Briefversand möglich",
        "en": "no complete postal address – cannot be sent by post",
    },
    # --- splitting documents -----------------------------------------------------------
    "split.before_first_marker": {
        "de": "steht vor der ersten Seite mit einer Einheits-Markierung („{pattern}“)",
        "en": "comes before the first page with a unit marker (“{pattern}”)",
    },
    "split.ambiguous": {
        "de": "nennt mehrere Einheiten ({units}) – nicht eindeutig zuzuordnen",
        "en": "names several units ({units}) – cannot be assigned",
    },
    "split.after_ambiguous_page": {
        "de": "folgt auf Seite {page}, die nicht eindeutig zuzuordnen war",
        "en": "follows page {page}, which could not be assigned",
    },
    "split.unknown_unit": {
        "de": "nennt „{unit}“, das ist keine Einheit dieser Liegenschaft",
        "en": "names “{unit}”, which is no unit of this property",
    },
    "split.after_unknown_marker": {
        "de": "folgt auf Seite {page} mit der unbekannten Einheit „{unit}“",
        "en": "follows page {page}, which names the unknown unit “{unit}”",
    },
    "split.unit_twice": {
        "de": "Einheit {unit} erscheint ab Seite {page} ein zweites Mal; die Seiten wurden angehängt",
        "en": "unit {unit} appears a second time from page {page}; the pages were appended",
    },
    "split.short_chunk": {
        "de": "der letzte Abschnitt für {unit} hat nur {pages} statt {expected:Seite|Seiten}",
        "en": "the last chunk for {unit} has only {pages} of {expected:page|pages}",
    },
    "split.more_pages_than_units": {
        "de": "mehr Seiten als {units:Einheit|Einheiten} × {per_unit:Seite|Seiten}",
        "en": "more pages than {units:unit|units} × {per_unit:page|pages}",
    },
    "split.not_in_ranges": {
        "de": "in keinem Seitenbereich enthalten",
        "en": "not in any page range",
    },
    "split.bad_range": {
        "de": "„{text}“ ist kein Seitenbereich (Beispiel: 1-3, 5)",
        "en": "“{text}” is not a page range (example: 1-3, 5)",
    },
    "split.range_outside": {
        "de": "Seitenbereich „{text}“ liegt außerhalb des Dokuments ({pages:Seite|Seiten})",
        "en": "page range “{text}” lies outside the document ({pages:page|pages})",
    },
    "split.unknown_unit_in_ranges": {
        "de": "„{unit}“ ist keine Einheit dieser Liegenschaft",
        "en": "“{unit}” is no unit of this property",
    },
    "split.name_ambiguous": {
        "de": "„{unit}“ bezeichnet mehrere Einheiten ({units}) – bitte die Bezeichnung verwenden",
        "en": "“{unit}” names several units ({units}) – please use the label",
    },
    "split.overlap": {
        "de": "Seite {page} ist sowohl {first} als auch {second} zugeordnet",
        "en": "page {page} is assigned to both {first} and {second}",
    },
    "split.file_no_unit": {
        "de": "Dateiname endet auf keine Einheit (Beispiel: Abrechnung_WE_03.pdf)",
        "en": "file name ends with no unit (example: statement_WE_03.pdf)",
    },
    "split.file_several_units": {
        "de": "Dateiname passt zu mehreren Einheiten ({units})",
        "en": "file name fits several units ({units})",
    },
    "split.file_duplicate": {
        "de": "für diese Einheit gibt es schon die Datei {other}",
        "en": "this unit already has the file {other}",
    },
    "split.unit_without_document": {
        "de": "Einheit {unit} hat kein Dokument „{document_type}“",
        "en": "unit {unit} has no “{document_type}” document",
    },
    "split.unmatched_page": {
        "de": "Seite {page} gehört zu keiner Einheit: {reason}",
        "en": "page {page} belongs to no unit: {reason}",
    },
    "joined": {"de": "{items}", "en": "{items}"},
    # --- dispatch plan and order button ----------------------------------------------------
    "plan.unit_missing_documents": {
        "de": "{unit} fehlt: {types}",
        "en": "{unit} lacks: {types}",
    },
    "plan.country_not_served": {
        "de": "der Dienstleister versendet nicht nach {country}",
        "en": "the provider does not deliver to {country}",
    },
    "plan.too_thick": {
        "de": "{sheets} Blatt passen in keinen Umschlag der Preistabelle",
        "en": "{sheets} sheets fit no envelope of the price table",
    },
    "plan.letter_problems": {
        "de": "{name} ({units}): {problems}",
        "en": "{name} ({units}): {problems}",
    },
    "button.green": {
        "de": "{count:Brief|Briefe} {count:~kann|können} beauftragt werden.",
        "en": "{count:letter|letters} can be ordered.",
    },
    "button.red": {
        "de": "Versand ist beauftragt und kann noch storniert werden ({window}).",
        "en": "Dispatch is ordered and can still be cancelled ({window}).",
    },
    "button.yellow": {
        "de": "Für den Briefversand fehlt Ihrer Organisation eine Funktion oder ein Vertrag. Bitte wenden Sie sich an: {contact}",
        "en": "Your organisation lacks a feature or contract for postal dispatch. Please contact: {contact}",
    },
    "button.not_released": {
        "de": "Versand erst nach der Freigabe im Kundenportal möglich (Zustand: {state}).",
        "en": "Dispatch is possible only after the release to the portal (state: {state}).",
    },
    "button.all_sent": {
        "de": "Alle {count:Brief|Briefe} dieser Auswahl sind bereits beim Dienstleister oder versendet.",
        "en": "All {count:letter|letters} of this selection are already with the provider or posted.",
    },
    "button.no_letters": {
        "de": "Die gesetzten Filter lassen keinen Brief für den Versand übrig.",
        "en": "The filters leave no letter to post.",
    },
    "button.letters_fail": {
        "de": "{count:Brief|Briefe} {count:~erfüllt|erfüllen} die Versandanforderungen nicht:",
        "en": "{count:letter|letters} {count:~fails|fail} the postal requirements:",
    },
    # --- import, upload, release -------------------------------------------------------
    "import.rejected_row": {"de": "Zeile {line}: {reason}", "en": "line {line}: {reason}"},
    "import.empty": {"de": "Die Datei ist leer.", "en": "The file is empty."},
    "import.workbook": {
        "de": "Das ist eine Excel-Arbeitsmappe. Bitte als CSV (Trennzeichen-getrennt) speichern und erneut importieren.",
        "en": "This is an Excel workbook. Please save it as CSV and import again.",
    },
    "import.encoding": {
        "de": "Die Datei ist weder UTF-8 noch Windows-1252 (unlesbares Zeichen an Stelle {position}). Bitte als UTF-8 speichern.",
        "en": "The file is neither UTF-8 nor Windows-1252 (unreadable character at position {position}). Please save it as UTF-8.",
    },
    "import.binary": {
        "de": "Die Datei ist keine Textdatei (CSV oder JSON).",
        "en": "The file is not a text file (CSV or JSON).",
    },
    "import.missing_columns": {
        "de": "Pflichtspalten fehlen: {columns} (gefunden: {headers})",
        "en": "required columns missing: {columns} (found: {headers})",
    },
    "import.bad_json": {
        "de": "Die Datei ist kein gültiges JSON: Fehler in Zeile {line}, Spalte {column} (Details: {detail}).",
        "en": "The file is not valid JSON: error at line {line}, column {column} (details: {detail}).",
    },
    "import.json_shape": {
        "de": "Die JSON-Datei hat nicht die erwartete Form: erwartet wird eine Liste von Zeilen oder {{\"properties\": […], \"contacts\": […]}}.",
        "en": "The JSON file does not have the expected shape: a list of rows or {{\"properties\": […], \"contacts\": […]}} is expected.",
    },
    "import.json_not_objects": {
        "de": "Die JSON-Datei hat nicht die erwartete Form: {where} muss eine Liste von Objekten sein.",
        "en": "The JSON file does not have the expected shape: {where} must be a list of objects.",
    },
    "import.json_too_deep": {
        "de": "Die JSON-Datei ist ab Zeile {line} tiefer als {depth} Ebenen verschachtelt; so tief reicht kein Export.",
        "en": "The JSON file nests deeper than {depth} levels from line {line} on; no export goes that deep.",
    },
    "import.open_quote": {
        "de": "In Zeile {line} wird ein Anführungszeichen geöffnet und nicht geschlossen; alles danach läse sich als "
              "ein einziges Feld. Bitte schließen Sie es oder entfernen Sie es.",
        "en": "A quote opened in line {line} is never closed; everything after it would read as one field. "
              "Please close or remove it.",
    },
    "import.bad_csv": {
        "de": "Die Datei lässt sich ab Zeile {line} nicht als CSV lesen – ist dort ein Anführungszeichen nicht geschlossen? (Details: {detail})",
        "en": "The file cannot be read as CSV from line {line} on – is a quote left open there? (details: {detail})",
    },
    "import.line_too_long": {
        "de": "Zeile {line} ist {length} Zeichen lang, erlaubt sind {limit}. Ist das wirklich ein CSV-Export?",
        "en": "Line {line} is {length} characters long, {limit} are allowed. Is this really a CSV export?",
    },
    "import.too_big": {
        "de": "Die Datei ist {size} MB groß, erlaubt sind {limit} MB. Bitte in mehrere Dateien teilen.",
        "en": "The file is {size} MB, {limit} MB are allowed. Please split it into several files.",
    },
    "import.too_many_rows": {
        "de": "Die Datei hat mehr als {limit} Zeilen. Bitte in mehrere Dateien teilen.",
        "en": "The file has more than {limit} rows. Please split it into several files.",
    },
    "import.column.property_id": {"de": "Liegenschaft-Nr", "en": "property no."},
    "import.column.property_name": {"de": "Liegenschaft", "en": "property"},
    "import.column.property_street": {"de": "Liegenschaft Straße", "en": "property street"},
    "import.column.property_postcode": {"de": "Liegenschaft PLZ", "en": "property postcode"},
    "import.column.property_city": {"de": "Liegenschaft Ort", "en": "property city"},
    "import.column.unit_id": {"de": "Einheit-Nr", "en": "unit no."},
    "import.column.unit_label": {"de": "Einheit", "en": "unit"},
    "import.column.unit_kind": {"de": "Art", "en": "kind"},
    "import.column.contact_id": {"de": "Kontakt-Nr", "en": "contact no."},
    "import.column.salutation": {"de": "Anrede", "en": "salutation"},
    "import.column.first_name": {"de": "Vorname", "en": "first name"},
    "import.column.last_name": {"de": "Nachname", "en": "last name"},
    "import.column.name": {"de": "Name", "en": "name"},
    "import.column.addition": {"de": "Adresszusatz", "en": "address addition"},
    "import.column.street": {"de": "Straße", "en": "street"},
    "import.column.house_number": {"de": "Hausnummer", "en": "house number"},
    "import.column.postcode": {"de": "PLZ", "en": "postcode"},
    "import.column.city": {"de": "Ort", "en": "city"},
    "import.column.country": {"de": "Land", "en": "country"},
    "import.column.email": {"de": "E-Mail", "en": "email"},
    "import.column.registered": {"de": "Registriert", "en": "registered"},
    "import.column.preference": {"de": "Präferenz", "en": "preference"},
    "import.column.relation": {"de": "Rolle", "en": "role"},
    "import.column.position": {"de": "Rang", "en": "rank"},
    "import.column.ended_on": {"de": "Auszug", "en": "moved out"},
    "import.column.other": {"de": "{name}", "en": "{name}"},
    "import.field_problem": {"de": "{column}: {problem}", "en": "{column}: {problem}"},
    "import.problem.empty": {"de": "ist leer", "en": "is empty"},
    "import.problem.missing": {"de": "fehlt", "en": "missing"},
    "import.problem.invalid": {"de": "„{value}“ ist ungültig", "en": "“{value}” is not valid"},
    "import.problem.country": {
        "de": "„{value}“ ist kein bekanntes Land (ISO-Code wie DE oder AT, oder der Name)",
        "en": "“{value}” is no known country (an ISO code such as DE or AT, or the name)",
    },
    "import.problem.email": {"de": "„{value}“ ist keine gültige E-Mail-Adresse", "en": "“{value}” is not a valid email address"},
    "import.problem.yes_no": {"de": "„{value}“ ist weder ja noch nein", "en": "“{value}” is neither ja nor nein"},
    "import.problem.preference": {"de": "„{value}“ ist weder Online noch Brief", "en": "“{value}” is neither Online nor Brief"},
    "import.problem.relation": {"de": "„{value}“ ist weder Eigentümer noch Mieter", "en": "“{value}” is neither Eigentümer nor Mieter"},
    "import.problem.number": {"de": "„{value}“ ist keine Zahl", "en": "“{value}” is not a number"},
    "import.problem.date": {"de": "„{value}“ ist kein Datum (TT.MM.JJJJ)", "en": "“{value}” is no date (DD.MM.YYYY)"},
    "import.problem.address": {
        "de": "unvollständige Postanschrift, es fehlt: {missing}", "en": "incomplete postal address, missing: {missing}",
    },
    "import.problem.duplicate": {
        "de": "doppelt: wie Zeile {line} (gleicher Kontakt, gleiche Einheit, gleiche Rolle)",
        "en": "duplicate of line {line} (same contact, unit and role)",
    },
    "import.problem.contact_differs": {
        "de": "Kontakt {key} hat andere Angaben als in Zeile {line}", "en": "contact {key} differs from line {line}",
    },
    "import.problem.unit_differs": {
        "de": "Einheit {key} hat andere Angaben als in Zeile {line}", "en": "unit {key} differs from line {line}",
    },
    "import.problem.no_rows": {"de": "die Datei enthält keine Zeilen", "en": "the file holds no rows"},
    "import.problem.not_an_object": {"de": "ist kein JSON-Objekt", "en": "is not a JSON object"},
    "import.problem.field_count_one": {
        "de": "hat 1 Feld statt {expected} – falsches Trennzeichen?",
        "en": "has 1 field instead of {expected} – wrong delimiter?",
    },
    "import.problem.not_text": {"de": "ist kein Text, sondern {value}", "en": "is no text but {value}"},
    "import.problem.too_long": {
        "de": "ist {length} Zeichen lang, erlaubt sind {limit}",
        "en": "is {length} characters long, {limit} are allowed",
    },
    "import.problem.control": {
        "de": "enthält an Stelle {position} {what} – so etwas darf in Namen und Anschriften nicht stehen",
        "en": "holds {what} at position {position}, which names and addresses must not contain",
    },
    "import.char.line_break": {"de": "einen Zeilenumbruch", "en": "a line break"},
    "import.char.tab": {"de": "einen Tabulator", "en": "a tab"},
    "import.char.control": {"de": "das Steuerzeichen {code}", "en": "the control character {code}"},
    "import.problem.field_count": {
        "de": "hat {count} Felder statt {expected} – falsches Trennzeichen oder ein Semikolon im Text?",
        "en": "has {count} fields instead of {expected} – wrong delimiter, or a semicolon inside a value?",
    },
    "import.missing_columns_delimiter": {
        "de": "Die Kopfzeile hat nur eine Spalte („{headers}“) – ist die Datei mit ; , oder Tab getrennt? Pflichtspalten: {columns}",
        "en": "The header has only one column (“{headers}”) – is the file separated by ; , or tab? Required columns: {columns}",
    },
    "create.no_title": {"de": "Der Serienbrief braucht einen Titel.", "en": "The serial letter needs a title."},
    "create.document_types": {
        "de": "Mindestens ein Dokumenttyp, jeder nur einmal (angegeben: {types}).",
        "en": "At least one document type, each only once (given: {types}).",
    },
    "documents.not_draft": {
        "de": "Dokumente lassen sich nur im Entwurf bearbeiten (Zustand: {state}). Nehmen Sie die Freigabe zuerst zurück.",
        "en": "Documents can be edited only in a draft (state: {state}). Withdraw the release first.",
    },
    "upload.not_pdf": {"de": "{filename} ist keine PDF-Datei.", "en": "{filename} is not a PDF file."},
    "upload.empty_file": {"de": "{filename} ist leer (0 Byte) – wurde die Datei vollständig gespeichert?",
                          "en": "{filename} is empty (0 bytes) – was the file saved completely?"},
    "upload.encrypted": {
        "de": "{filename} ist verschlüsselt oder kennwortgeschützt und kann nicht gedruckt werden.",
        "en": "{filename} is encrypted or password-protected and cannot be printed.",
    },
    "upload.unreadable": {"de": "{filename} lässt sich nicht lesen: {detail}", "en": "{filename} cannot be read: {detail}"},
    "upload.no_pages": {"de": "{filename} hat keine Seiten.", "en": "{filename} has no pages."},
    "upload.unknown_type": {
        "de": "Unbekannter Dokumenttyp „{document_type}“ (vorhanden: {types}).",
        "en": "Unknown document type “{document_type}” (available: {types}).",
    },
    "upload.file_rejected": {"de": "{filename}: {reason}", "en": "{filename}: {reason}"},
    "upload.too_large": {
        "de": "{filename} ist größer als {limit} MB und wird nicht angenommen.",
        "en": "{filename} is larger than {limit} MB and is not accepted.",
    },
    "split.unmatched_page_in_file": {
        "de": "Seite {page} ({filename}, S. {file_page}) gehört zu keiner Einheit: {reason}",
        "en": "page {page} ({filename}, p. {file_page}) belongs to no unit: {reason}",
    },
    "split.numbers_disagree": {
        "de": "nach der Seitenzählung Teil von {unit} (ab Seite {first}), der Text nennt aber {found} nicht am Anfang "
              "oder eine andere Einheit – stimmt die Seitenzahl je Einheit? (Deckblatt, Leerseite?)",
        "en": "by the page count part of {unit} (from page {first}), but the text names {found} not at its start "
              "or another unit – is the page count per unit right? (cover page, blank page?)",
    },
    "split.bad_marker": {
        "de": "Die Markierung „{pattern}“ braucht genau einen Platzhalter {{unit}} (Beispiel: „Einheit: {{unit}}“).",
        "en": "The marker “{pattern}” needs exactly one {{unit}} placeholder (example: “Einheit: {{unit}}”).",
    },
    "split.unmatched_pages": {
        "de": "Seiten {first}–{last} ({filename}) gehören zu keiner Einheit: {reason}",
        "en": "pages {first}–{last} ({filename}) belong to no unit: {reason}",
    },
    "report.type": {
        "de": "{document_type}: {units} von {of:Einheit|Einheiten} {units:~hat|haben} ein Dokument ({pages:Seite|Seiten}).",
        "en": "{document_type}: {units} of {of:unit|units} {units:~has|have} a document ({pages:page|pages}).",
    },
    "report.pages_per_unit": {"de": "Seiten je Einheit: {units}", "en": "pages per unit: {units}"},
    "report.missing": {
        "de": "{count:Einheit|Einheiten} ohne Dokument: {units}",
        "en": "{count:unit|units} without a document: {units}",
    },
    "report.attachments": {"de": "Allgemeine Anhänge (Seiten): {files}", "en": "General attachments (pages): {files}"},
    "slack.file_host": {
        "de": "{filename} kommt nicht von Slack und wird nicht geladen.",
        "en": "{filename} does not come from Slack and is not fetched.",
    },
    "slack.file_unavailable": {
        "de": "{filename} ließ sich nicht von Slack laden ({status}). Bitte laden Sie die Datei erneut hoch.",
        "en": "{filename} could not be fetched from Slack ({status}). Please upload the file again.",
    },
    # --- the PDF gate ----------------------------------------------------------------------
    "pdf.detail.library": {
        "de": "sie ist beschädigt oder kein PDF (Einzelheiten: {text})",
        "en": "it is damaged or not a PDF (details: {text})",
    },
    "pdf.detail.crashed": {
        "de": "beim Lesen ist das Prüfprogramm abgestürzt; die Datei ist beschädigt oder bösartig",
        "en": "the checking program crashed while reading it; the file is damaged or malicious",
    },
    "pdf.too_slow": {
        "de": "{filename} ließ sich nicht in {seconds} Sekunden prüfen und wird nicht angenommen.",
        "en": "{filename} could not be checked within {seconds} seconds and is not accepted.",
    },
    "pdf.too_much_memory": {
        "de": "{filename} bräuchte beim Lesen mehr als {limit} MB Speicher (entpackt zu groß) und wird nicht angenommen.",
        "en": "{filename} would need more than {limit} MB of memory to read (unpacks too large) and is not accepted.",
    },
    "pdf.too_deep": {
        "de": "{filename} hat einen zu tief verschachtelten Seitenbaum (mehr als {limit} Ebenen).",
        "en": "{filename} has a page tree nested too deeply (more than {limit} levels).",
    },
    "pdf.cyclic": {"de": "{filename} hat einen Seitenbaum, der im Kreis läuft.", "en": "{filename} has a page tree that runs in a circle."},
    "pdf.too_many_pages": {
        "de": "{filename} hat {pages:Seite|Seiten}; höchstens {limit} werden angenommen.",
        "en": "{filename} has {pages:page|pages}; at most {limit} are accepted.",
    },
    "pdf.bad_page_size": {"de": "{filename}: Seite {page} hat keine gültige Größe.", "en": "{filename}: page {page} has no valid size."},
    "pdf.page_too_large": {
        "de": "{filename}: Seite {page} ist {size} mm groß; höchstens {limit} mm je Seite werden angenommen.",
        "en": "{filename}: page {page} is {size} mm large; at most {limit} mm per side are accepted.",
    },
    "pdf.image_too_large": {
        "de": "{filename} enthält ein Bild mit {megapixels} Megapixeln; höchstens {limit} werden angenommen.",
        "en": "{filename} holds an image of {megapixels} megapixels; at most {limit} are accepted.",
    },
    "pdf.stream_too_large": {
        "de": "{filename} enthält einen Datenstrom, der auf mehr als {limit} MB entpackt wird, und wird nicht angenommen.",
        "en": "{filename} holds a stream that unpacks to more than {limit} MB and is not accepted.",
    },
    "pdf.document_too_large": {
        "de": "{filename} wird entpackt größer als {limit} MB und wird nicht angenommen.",
        "en": "{filename} unpacks to more than {limit} MB and is not accepted.",
    },
    "pdf.disagree": {
        "de": "{filename} wird von den Druck- und Lese-Bibliotheken verschieden gelesen ({qpdf} bzw. {pdfium:Seite|Seiten}) und wird nicht angenommen.",
        "en": "{filename} reads differently in the print and reading libraries ({qpdf} and {pdfium:page|pages}) and is not accepted.",
    },
    "pdf.sizes_disagree": {
        "de": "{filename}: Seite {page} hat in den Druck- und Lese-Bibliotheken verschiedene Größen und wird nicht angenommen.",
        "en": "{filename}: page {page} has different sizes in the print and reading libraries and is not accepted.",
    },
    # --- stored files ----------------------------------------------------------------------
    "tracking.storage_error": {
        "de": "Dateien ließen sich nicht schreiben oder lesen ({detail}); briefwerk versucht es erneut.",
        "en": "Files could not be written or read ({detail}); briefwerk tries again.",
    },
    "storage.missing": {
        "de": "Eine gespeicherte Datei fehlt (Prüfsumme {file}…, Speicher {where}). Briefwerk versucht es erneut; "
              "bleibt sie verschwunden, laden Sie das Dokument bitte neu hoch.",
        "en": "A stored file is missing (checksum {file}…, storage {where}). briefwerk tries again; if it stays "
              "missing, please upload the document again.",
    },
    "storage.corrupt": {
        "de": "Eine gespeicherte Datei wurde verändert (Prüfsumme {file}…, Speicher {where}) und wird nicht verwendet. "
              "Bitte laden Sie das Dokument neu hoch.",
        "en": "A stored file was altered (checksum {file}…, storage {where}) and is not used. Please upload the "
              "document again.",
    },
    "storage.full": {
        "de": "Der Speicher ist voll ({where}); nichts wurde gespeichert. Bitte Platz schaffen und erneut versuchen.",
        "en": "The storage is full ({where}); nothing was stored. Please free some space and try again.",
    },
    "storage.other_disk": {
        "de": "Diese Instanz sieht nicht den Speicher der anderen ({where}): die Markierungsdatei {marker} fehlt. "
              "Alle Instanzen brauchen denselben BRIEFWERK_HOME-Ordner oder dieselbe BRIEFWERK_STORAGE_URL.",
        "en": "This instance does not see the other instances' storage ({where}): the marker file {marker} is "
              "missing. Every instance needs the same BRIEFWERK_HOME folder or the same BRIEFWERK_STORAGE_URL.",
    },
    # --- organisations ---------------------------------------------------------------------
    "org.unknown": {
        "de": "Die Organisation „{ref}“ gibt es nicht. Vorhanden (Name und Slack-Team): {organisations}",
        "en": "There is no organisation “{ref}”. Known (name and Slack team): {organisations}",
    },
    "org.ambiguous": {
        "de": "Es gibt mehrere Organisationen; bitte eine angeben (Name oder Slack-Team-ID): {organisations}",
        "en": "There are several organisations; please name one (name or Slack team id): {organisations}",
    },
    "org.no_name": {"de": "Der Firmenname fehlt.", "en": "The company name is missing."},
    "org.name_taken": {
        "de": "Eine andere Organisation heißt schon „{name}“.",
        "en": "Another organisation is already called “{name}”.",
    },
    "org.bad_address": {
        "de": "{field}: „{address}“ ist keine gültige E-Mail-Adresse.",
        "en": "{field}: “{address}” is not a valid email address.",
    },
    "org.field.sender_email": {"de": "Absender-Adresse", "en": "Sender address"},
    "org.field.reply_to": {"de": "Antwort-Adresse", "en": "Reply-to address"},
    # --- intake: a new serial letter and its documents -----------------------------------
    "what.property": {"de": "Liegenschaft", "en": "Property"},
    "what.attachment": {"de": "Anhang", "en": "Attachment"},
    "what.serial_letter": {"de": "Serienbrief", "en": "Serial letter"},
    "what.organisation": {"de": "Organisation", "en": "Organisation"},
    "what.order": {"de": "Auftrag", "en": "Order"},
    "what.letter": {"de": "Brief", "en": "Letter"},
    "what.contact": {"de": "Kontakt", "en": "Contact"},
    "what.unit": {"de": "Einheit", "en": "Unit"},
    "what.download_link": {"de": "Download-Link", "en": "Download link"},
    "what.approval": {"de": "Anfrage", "en": "Request"},
    "what.api_key": {"de": "API-Schlüssel", "en": "API key"},
    "apikey.no_name": {"de": "Der API-Schlüssel braucht einen Namen (z. B. „ERP DOMUS“).",
                       "en": "The API key needs a name (e.g. “ERP DOMUS”)."},
    "apikey.name_too_long": {"de": "Der Name ist zu lang (höchstens {limit} Zeichen).",
                             "en": "The name is too long (at most {limit} characters)."},
    "create.title_too_long": {
        "de": "Der Titel ist zu lang (höchstens {limit} Zeichen).",
        "en": "The title is too long (at most {limit} characters).",
    },
    "create.too_many_types": {
        "de": "Höchstens {most} Dokumenttypen mit je höchstens {length} Zeichen.",
        "en": "At most {most} document types of at most {length} characters each.",
    },
    "create.no_units": {
        "de": "Die Liegenschaft „{property}“ hat keine Einheiten. Importieren Sie zuerst ihre Stammdaten (Einheiten und Kontakte).",
        "en": "The property “{property}” has no units. Import its master data (units and contacts) first.",
    },
    "create.no_files": {
        "de": "Für den Dokumenttyp „{document_type}“ fehlt die Datei.",
        "en": "The document type “{document_type}” has no file.",
    },
    "create.title_exists": {
        "de": "Es gibt schon einen Serienbrief „{title}“ für diese Liegenschaft (Nr. {ids}).",
        "en": "There is already a serial letter “{title}” for this property (no. {ids}).",
    },
    "intake.conflict": {
        "de": "{count:Einheit|Einheiten} {count:~hat|haben} schon ein Dokument „{document_type}“ (aus {files}): {units}. Bitte wählen Sie, ob die neuen Dateien diese ersetzen oder die bisherigen bleiben.",
        "en": "{count:unit|units} already have a “{document_type}” document (from {files}): {units}. Please choose whether the new files replace them or the earlier ones stay.",
    },
    "intake.kept": {
        "de": "{count:Einheit|Einheiten} behalten ihr bisheriges Dokument: {units}",
        "en": "{count:unit|units} keep their earlier document: {units}",
    },
    "intake.replaced": {
        "de": "{count:Einheit|Einheiten} {count:~hat|haben} ein neues Dokument statt des bisherigen: {units}",
        "en": "{count:unit|units} got a new document instead of the earlier one: {units}",
    },
    "intake.nothing_assigned": {
        "de": "„{document_type}“: keine Seite ließ sich einer Einheit zuordnen, es wurde nichts gespeichert. {reasons}",
        "en": "“{document_type}”: no page could be assigned to a unit, nothing was stored. {reasons}",
    },
    "intake.same_unit_twice": {
        "de": "„{document_type}“: {filename} und {other} gehören zur selben Einheit. Bitte laden Sie nur eine der beiden hoch.",
        "en": "“{document_type}”: {filename} and {other} belong to the same unit. Please upload only one of them.",
    },
    "intake.progress_reading": {
        "de": "„{document_type}“: Seite {done} von {total} gelesen …",
        "en": "“{document_type}”: read page {done} of {total} …",
    },
    "intake.progress_writing": {
        "de": "„{document_type}“: Dokument {done} von {total} gespeichert …",
        "en": "“{document_type}”: stored document {done} of {total} …",
    },
    "zip.unreadable": {
        "de": "{filename} ist kein lesbares ZIP-Archiv ({detail}).",
        "en": "{filename} is not a readable ZIP archive ({detail}).",
    },
    "zip.empty": {"de": "{filename} enthält keine PDF-Datei.", "en": "{filename} holds no PDF file."},
    "zip.too_large": {
        "de": "{filename} entpackt mehr als {limit} MB und wird nicht angenommen.",
        "en": "{filename} unpacks to more than {limit} MB and is not accepted.",
    },
    "zip.too_many": {
        "de": "{filename} enthält {count:Datei|Dateien}; höchstens {limit} werden angenommen.",
        "en": "{filename} holds {count:file|files}; at most {limit} are accepted.",
    },
    "zip.unsafe_names": {
        "de": "{filename} enthält Dateinamen, die aus dem Archiv hinausführen: {entries}",
        "en": "{filename} holds file names that lead out of the archive: {entries}",
    },
    "zip.folders": {
        "de": "{filename} enthält mehrere Ordner oder Ordner in Ordnern: {entries}. Bitte legen Sie alle PDFs in eine Ebene.",
        "en": "{filename} holds several folders or folders inside folders: {entries}. Please put all PDFs on one level.",
    },
    "zip.not_pdf": {
        "de": "{filename} enthält Dateien, die keine PDFs sind: {entries}",
        "en": "{filename} holds files that are not PDFs: {entries}",
    },
    "zip.same_name": {
        "de": "{filename} enthält denselben Dateinamen mehrfach: {entries}",
        "en": "{filename} holds the same file name more than once: {entries}",
    },
    "release.no_documents": {
        "de": "„{title}“ hat noch keine Dokumente für Einheiten – nichts freizugeben.",
        "en": "“{title}” has no unit documents yet – nothing to release.",
    },
    "release.already": {
        "de": "„{title}“ ist bereits für alle Einheiten freigegeben.",
        "en": "“{title}” is already released for every unit.",
    },
    "release.unit_not_released": {
        "de": "Diese Einheit ist für „{title}“ nicht freigegeben.",
        "en": "This unit is not released for “{title}”.",
    },
    "conflict.changed": {
        "de": "„{title}“ wurde inzwischen geändert (z. B. durch einen zweiten Klick oder eine Kollegin). Bitte öffnen Sie die Ansicht neu.",
        "en": "“{title}” has changed meanwhile (a second click or a colleague). Please reopen the view.",
    },
    "order.not_possible": {
        "de": "Der Versand kann nicht beauftragt werden: {reasons}",
        "en": "Dispatch cannot be ordered: {reasons}",
    },
    "order.already": {
        "de": "Für „{title}“ ist der Versand bereits beauftragt.",
        "en": "Dispatch of “{title}” is already ordered.",
    },
    "order.no_provider": {
        "de": "Der Versanddienstleister „{provider}“ ist nicht eingerichtet.",
        "en": "The provider “{provider}” is not set up.",
    },
    "cancel.nothing": {
        "de": "Für „{title}“ ist kein Versand beauftragt.",
        "en": "No dispatch of “{title}” is ordered.",
    },
    "dispatch.locked": {
        "de": "Versandoptionen lassen sich jetzt nicht ändern (Zustand: {state}).",
        "en": "Dispatch options cannot be changed now (state: {state}).",
    },
    "dispatch.feature_unavailable": {
        "de": "{feature} ist in Ihrem Vertrag nicht enthalten. Bitte wenden Sie sich an: {contact}",
        "en": "{feature} is not part of your contract. Please contact: {contact}",
    },
    "feature.registered": {"de": "Einwurfeinschreiben", "en": "Registered mail"},
    "cancel_window.unknown": {"de": "solange der Dienstleister es zulässt", "en": "as long as the provider allows"},
    "cancel_window.until_collected": {"de": "bis die Dateien abgeholt sind", "en": "until the files are collected"},
    "cancel_window.until_printing": {"de": "bis der Druck beginnt", "en": "until printing starts"},
    "cancel_window.minutes_until_handover": {
        "de": "bis {minutes} Minuten nach der Übergabe, längstens bis zur Übergabe an die Post um {handover} Uhr",
        "en": "up to {minutes} minutes after the hand-over, and no later than the postal hand-over at {handover}",
    },
    "button.red_countdown": {
        "de": "Versand ist beauftragt und kann noch {minutes} Minuten storniert werden (bis {time} Uhr).",
        "en": "Dispatch is ordered and can still be cancelled for {minutes} minutes (until {time}).",
    },
    "button.red_closed": {
        "de": "Versand ist beauftragt; die Stornierfrist ist um {time} Uhr abgelaufen.",
        "en": "Dispatch is ordered; the time to cancel ended at {time}.",
    },
    "provider.registered_country_only": {
        "de": "{provider} bietet Einschreiben nur für Absender in {countries} an – für Ihre Briefe ist es nicht verfügbar.",
        "en": "{provider} offers registered mail only to senders in {countries} – it is not available for your letters.",
    },
    "feature.colour": {"de": "Farbdruck", "en": "Colour printing"},
    "feature.duplex": {"de": "Beidseitiger Druck", "en": "Duplex printing"},
    "download.no_address": {
        "de": "{name} hat keine vollständige Postanschrift – es gibt keine Datei zum Briefversand.",
        "en": "{name} has no complete postal address – there is no print file.",
    },
    "download.no_documents": {
        "de": "Für diesen Brief gibt es noch keine Dokumente.",
        "en": "This letter has no documents yet.",
    },
    "download.no_document_of_type": {
        "de": "Für diese Einheit gibt es kein Dokument „{document_type}“.",
        "en": "This unit has no “{document_type}” document.",
    },
    # --- approvals -----------------------------------------------------------------------
    "approval.release": {"de": "Freigabe im Kundenportal", "en": "release to the portal"},
    "approval.order": {"de": "Briefversand", "en": "postal dispatch"},
    "approval.download_link": {"de": "Download-Link", "en": "download link"},
    "approval.state.pending": {"de": "offen", "en": "pending"},
    "approval.state.approved": {"de": "genehmigt", "en": "approved"},
    "approval.state.rejected": {"de": "abgelehnt", "en": "rejected"},
    "approval.state.expired": {"de": "abgelaufen", "en": "expired"},
    "approval.pending_exists": {
        "de": "Für „{title}“ wartet bereits eine solche Anfrage auf die Manager.",
        "en": "Such a request for “{title}” is already waiting for the managers.",
    },
    "approval.own_request": {
        "de": "Ihre eigene Anfrage kann nur ein anderer Manager entscheiden.",
        "en": "Only another manager can decide your own request.",
    },
    "approval.decided": {
        "de": "Diese Anfrage ist bereits entschieden: {state}.",
        "en": "This request has already been decided: {state}.",
    },
    "approval.no_managers": {
        "de": "Die Manager-Freigabe ist eingeschaltet, aber es ist kein Manager eingetragen. Bitte wenden Sie sich an einen Admin.",
        "en": "Manager approval is on but no manager is named. Please ask an admin.",
    },
    "link.no_recipient": {
        "de": "Niemand kann den Link erhalten: für {who} ist keine E-Mail-Adresse hinterlegt.",
        "en": "Nobody can receive the link: there is no email address for {who}.",
    },
    "link.not_sent": {
        "de": "Der Download-Link konnte an niemanden gesendet werden ({who}); die Datei wurde wieder gelöscht.",
        "en": "The download link could not be sent to anyone ({who}); the file was deleted again.",
    },
    "link.expired": {
        "de": "Dieser Download-Link ist abgelaufen ({expired}). Bitte fordern Sie in Slack einen neuen an.",
        "en": "This download link has expired ({expired}). Please request a new one in Slack.",
    },
    "link.no_letters": {
        "de": "Die aktuellen Filter lassen für „{title}“ keinen Brief übrig.",
        "en": "The current filters leave no letter of “{title}”.",
    },
    # --- pdf/a -------------------------------------------------------------------------
    "pdfa.ghostscript_missing": {
        "de": "Ghostscript (gs) ist nicht installiert, daher kann {filename} nicht in PDF/A umgewandelt werden.",
        "en": "Ghostscript (gs) is not installed, so {filename} cannot be converted to PDF/A.",
    },
    "pdfa.ghostscript_failed": {
        "de": "Ghostscript konnte {filename} nicht in PDF/A umwandeln: {detail}.",
        "en": "Ghostscript could not convert {filename} to PDF/A: {detail}.",
    },
    "pdfa.detail.exit_code": {
        "de": "Ghostscript endete mit Code {code} ({output})",
        "en": "Ghostscript exited with code {code} ({output})",
    },
    "pdfa.detail.not_started": {
        "de": "Ghostscript ließ sich nicht starten ({error})",
        "en": "Ghostscript could not be started ({error})",
    },
    "pdfa.detail.timeout": {
        "de": "Ghostscript war nach {seconds} s nicht fertig",
        "en": "Ghostscript had not finished after {seconds} s",
    },
    "pdfa.detail.aborted": {
        "de": "Ghostscript hat die PDF/A-Umwandlung abgebrochen, meist weil es das Farbprofil nicht lesen durfte",
        "en": "Ghostscript aborted the PDF/A conversion, usually because it was not allowed to read the colour profile",
    },
    "pdfa.detail.no_output_intent": {
        "de": "das Ergebnis hat kein Farbprofil (OutputIntent), ist also kein PDF/A",
        "en": "the result has no colour profile (OutputIntent), so it is not PDF/A",
    },
    "pdfa.detail.unreadable_output": {
        "de": "das Ergebnis lässt sich nicht lesen",
        "en": "the result cannot be read",
    },
    "pdfa.detail.still_not_embedded": {
        "de": "im Ergebnis sind weiterhin Schriften nicht eingebettet: {fonts}",
        "en": "fonts are still not embedded in the result: {fonts}",
    },
    "pdfa.fonts_not_embedded": {
        "de": "{filename} verwendet nicht eingebettete Schriften ({fonts}); PDF/A verlangt eingebettete Schriften. Bitte die Datei mit eingebetteten Schriften exportieren.",
        "en": "{filename} uses fonts that are not embedded ({fonts}); PDF/A requires embedded fonts. Please export the file with embedded fonts.",
    },
    "pdfa.source_not_pdfa": {
        "de": "{filename} lässt sich nicht in PDF/A-2b übernehmen: {findings}",
        "en": "{filename} cannot be carried into PDF/A-2b: {findings}",
    },
    "pdfa.pdf_version": {
        "de": "{filename} ist PDF {version}; PDF/A-2b erlaubt höchstens PDF 1.7.",
        "en": "{filename} is PDF {version}; PDF/A-2b allows at most PDF 1.7.",
    },
    "pdfa.sources_refused": {
        "de": "Diese Dateien lassen sich nicht in das PDF/A übernehmen ({count}): {reasons}",
        "en": "These files cannot be carried into the PDF/A file ({count}): {reasons}",
    },
    # --- providers -------------------------------------------------------------------
    "provider.rejected": {
        "de": "{provider} hat Brief {reference} abgelehnt: {reason}",
        "en": "{provider} refused letter {reference}: {reason}",
    },
    "provider.registered_abroad": {
        "de": "Brief {reference} geht ins Ausland ({country}); Einwurfeinschreiben ist nur innerhalb Deutschlands möglich.",
        "en": "Letter {reference} goes abroad ({country}); registered mail is available within Germany only.",
    },
    "provider.too_large": {
        "de": "Brief {reference} ist {size} MB groß; {provider} nimmt höchstens {limit} MB je Brief an.",
        "en": "Letter {reference} is {size} MB; {provider} accepts at most {limit} MB per letter.",
    },
    "provider.file_unreadable": {
        "de": "Die Druckdatei von Brief {reference} lässt sich nicht lesen: {detail}",
        "en": "The print file of letter {reference} cannot be read: {detail}",
    },
    "provider.credentials_refused": {
        "de": "{provider} hat die Zugangsdaten abgelehnt ({detail}). Bitte die Einstellungen prüfen.",
        "en": "{provider} refused the credentials ({detail}). Please check the settings.",
    },
    # --- portal ----------------------------------------------------------------------
    "portal.name": {"de": "Kundenportal", "en": "Customer portal"},
    "portal.skip_link": {"de": "Zum Inhalt springen", "en": "Skip to content"},
    "portal.nav_label": {"de": "Kundenportal", "en": "Customer portal"},
    "portal.nav.documents": {"de": "Dokumente", "en": "Documents"},
    "portal.nav.preference": {"de": "Zustellung", "en": "Delivery"},
    "portal.sign_out": {"de": "Abmelden", "en": "Sign out"},
    "portal.other_language": {"de": "English", "en": "Deutsch"},
    "portal.sign_in.heading": {"de": "Anmelden", "en": "Sign in"},
    "portal.sign_in.intro": {
        "de": "Geben Sie die E-Mail-Adresse ein, die Ihre Hausverwaltung von Ihnen kennt. Wir senden Ihnen "
              "einen Anmeldelink – ein Passwort brauchen Sie nicht.",
        "en": "Enter the email address your property management has on file for you. We will send you a "
              "sign-in link – no password needed.",
    },
    "portal.sign_in.email": {"de": "E-Mail-Adresse", "en": "Email address"},
    "portal.sign_in.submit": {"de": "Anmeldelink senden", "en": "Send sign-in link"},
    "portal.sign_in.email_invalid": {
        "de": "Bitte geben Sie eine vollständige E-Mail-Adresse ein, zum Beispiel name@beispiel.de.",
        "en": "Please enter a complete email address, for example name@example.com.",
    },
    "portal.signed_out": {"de": "Sie sind abgemeldet.", "en": "You are signed out."},
    "portal.check_email.heading": {"de": "Bitte prüfen Sie Ihr Postfach", "en": "Please check your inbox"},
    "portal.check_email.body": {
        "de": "Wenn Ihre Adresse bei uns hinterlegt ist, erhalten Sie in wenigen Minuten eine E-Mail mit "
              "einem Anmeldelink. Der Link ist {minutes} Minuten gültig und funktioniert nur einmal.",
        "en": "If your address is on file with us, you will receive an email with a sign-in link within "
              "a few minutes. The link works once, for {minutes} minutes.",
    },
    "portal.check_email.retry": {
        "de": "Keine E-Mail erhalten? Prüfen Sie Ihren Spam-Ordner oder fordern Sie einen neuen Link an.",
        "en": "No email? Check your spam folder or ask for a new link.",
    },
    "portal.check_email.again": {"de": "Neuen Anmeldelink anfordern", "en": "Ask for a new sign-in link"},
    "portal.confirm.heading": {"de": "Anmeldung bestätigen", "en": "Confirm sign-in"},
    "portal.confirm.body": {
        "de": "Mit einem Klick auf „Jetzt anmelden“ melden Sie sich im Kundenportal an.",
        "en": "Select “Sign in now” to sign in to the customer portal.",
    },
    "portal.confirm.submit": {"de": "Jetzt anmelden", "en": "Sign in now"},
    "portal.link_invalid": {
        "de": "Dieser Anmeldelink ist ungültig, abgelaufen oder wurde schon benutzt. Bitte fordern Sie einen neuen an.",
        "en": "This sign-in link is invalid, has expired or was used already. Please ask for a new one.",
    },
    "portal.documents.heading": {"de": "Ihre Dokumente", "en": "Your documents"},
    "portal.documents.signed_in_as": {"de": "Angemeldet als {name}.", "en": "Signed in as {name}."},
    "portal.documents.none": {
        "de": "Zurzeit liegen keine Dokumente für Sie bereit.",
        "en": "There are no documents for you at the moment.",
    },
    "portal.documents.unit": {"de": "Einheit {unit}", "en": "Unit {unit}"},
    "portal.documents.published": {"de": "bereitgestellt am {date}", "en": "published on {date}"},
    "portal.documents.link": {"de": "{title} (PDF herunterladen)", "en": "{title} (download PDF)"},
    "portal.preference.heading": {"de": "Zustellung", "en": "Delivery"},
    "portal.preference.legend": {
        "de": "Wie möchten Sie neue Dokumente erhalten?",
        "en": "How would you like to receive new documents?",
    },
    "portal.preference.online": {
        "de": "Nur online im Kundenportal – keine Briefe per Post",
        "en": "Online in the customer portal only – no letters by post",
    },
    "portal.preference.letter": {
        "de": "Zusätzlich als Brief per Post",
        "en": "By post as a letter as well",
    },
    "portal.preference.submit": {"de": "Speichern", "en": "Save"},
    "portal.preference.saved": {"de": "Ihre Einstellung ist gespeichert.", "en": "Your choice is saved."},
    "portal.preference.invalid": {
        "de": "Bitte wählen Sie eine der beiden Möglichkeiten.",
        "en": "Please choose one of the two options.",
    },
    "portal.not_found.heading": {"de": "Nicht gefunden", "en": "Not found"},
    "portal.not_found.body": {
        "de": "Diese Seite oder dieses Dokument gibt es nicht oder es steht Ihnen nicht zur Verfügung.",
        "en": "This page or document does not exist or is not available to you.",
    },
    "portal.back_to_documents": {"de": "Zu Ihren Dokumenten", "en": "To your documents"},
    "portal.back_to_sign_in": {"de": "Zur Anmeldung", "en": "To the sign-in page"},
    "portal.bad_request.heading": {"de": "Das hat nicht geklappt", "en": "That did not work"},
    "portal.bad_request.body": {
        "de": "Die Anfrage war unvollständig oder stammt aus einer veralteten Seite. Bitte laden Sie die Seite "
              "neu und versuchen Sie es noch einmal.",
        "en": "The request was incomplete or came from an outdated page. Please reload the page and try again.",
    },
    # --- tracking --------------------------------------------------------------------
    "tracking.print_file_failed": {
        "de": "Die Druckdatei für Brief {reference} ließ sich nicht erstellen: {reason}",
        "en": "The print file for letter {reference} could not be built: {reason}",
    },
    "tracking.retry": {
        "de": "{provider} war nicht erreichbar ({detail}); ein neuer Versuch folgt automatisch.",
        "en": "{provider} was unavailable ({detail}); it is tried again automatically.",
    },
    "tracking.retry_error": {
        "de": "Die Übergabe von Brief {reference} ist fehlgeschlagen ({detail}); ein neuer Versuch folgt automatisch.",
        "en": "Handing over letter {reference} failed ({detail}); it is tried again automatically.",
    },
    "tracking.approval_expired": {
        "de": "Ohne Entscheidung nach {hours} Stunden abgelaufen.",
        "en": "Expired without a decision after {hours} hours.",
    },
    # --- preflight -------------------------------------------------------------------
    "preflight.unreadable": {
        "de": "Die PDF-Datei lässt sich nicht lesen: {detail}.",
        "en": "The PDF cannot be read: {detail}.",
    },
    "preflight.encrypted": {
        "de": "Die PDF-Datei ist verschlüsselt oder kennwortgeschützt.",
        "en": "The PDF is encrypted or password-protected.",
    },
    "preflight.detail.damaged": {
        "de": "sie ist beschädigt oder kein PDF",
        "en": "it is damaged or not a PDF",
    },
    "preflight.detail.truncated": {
        "de": "sie ist unvollständig, am Ende fehlt die Marke %%EOF",
        "en": "it is incomplete, the %%EOF marker at its end is missing",
    },
    "preflight.detail.no_pages": {
        "de": "sie enthält keine Seiten",
        "en": "it has no pages",
    },
    "preflight.detail.page": {
        "de": "Seite {page} lässt sich nicht laden",
        "en": "page {page} cannot be loaded",
    },
    "preflight.page_format": {
        "de": "Seite {page} ist {width} × {height} mm groß ({orientation}); verlangt ist A4 hochkant, 210 × 297 mm (± {tolerance} mm).",
        "en": "Page {page} measures {width} × {height} mm ({orientation}); A4 portrait is required, 210 × 297 mm (± {tolerance} mm).",
    },
    "preflight.orientation.portrait": {"de": "hochkant", "en": "portrait"},
    "preflight.orientation.landscape": {"de": "quer", "en": "landscape"},
    "preflight.area": {
        "de": "{left}–{right} mm von links, {top}–{bottom} mm von oben",
        "en": "{left}–{right} mm from the left, {top}–{bottom} mm from the top",
    },
    "preflight.address_missing": {
        "de": "Im Sichtbereich des Fensters auf Seite 1 ({zone}) steht kein maschinenlesbarer Text.",
        "en": "The part of page 1 the envelope window shows ({zone}) holds no machine-readable text.",
    },
    "preflight.address_image": {
        "de": "Die Anschrift ist ein Bild oder Scan, kein maschinenlesbarer Text: im Sichtbereich des Fensters ({zone}) liegt nur ein Bild ({width} × {height} mm).",
        "en": "The address is an image or scan, not machine-readable text: the part the envelope window shows ({zone}) holds only an image ({width} × {height} mm).",
    },
    "preflight.address_outside.top": {
        "de": "Der Anschriftblock beginnt {measured} mm von oben; das Fenster zeigt, wie auch immer der Brief im Umschlag liegt, erst ab {limit} mm.",
        "en": "The address block starts at {measured} mm from the top; wherever the letter sits in the envelope, the window shows only from {limit} mm.",
    },
    "preflight.address_outside.bottom": {
        "de": "Der Anschriftblock endet {measured} mm von oben; das Fenster zeigt, wie auch immer der Brief im Umschlag liegt, nur bis {limit} mm.",
        "en": "The address block ends at {measured} mm from the top; wherever the letter sits in the envelope, the window shows only up to {limit} mm.",
    },
    "preflight.address_outside.left": {
        "de": "Der Anschriftblock beginnt {measured} mm vom linken Rand; das Fenster zeigt, wie auch immer der Brief im Umschlag liegt, erst ab {limit} mm.",
        "en": "The address block starts {measured} mm from the left edge; wherever the letter sits in the envelope, the window shows only from {limit} mm.",
    },
    "preflight.address_outside.right": {
        "de": "Der Anschriftblock reicht bis {measured} mm vom linken Rand; das Fenster zeigt, wie auch immer der Brief im Umschlag liegt, nur bis {limit} mm.",
        "en": "The address block reaches {measured} mm from the left edge; wherever the letter sits in the envelope, the window shows only up to {limit} mm.",
    },
    "preflight.address_field.top": {
        "de": "Hinweis: Der Anschriftblock beginnt {measured} mm von oben, die Anschriftzone nach DIN 5008 erst bei {limit} mm; im Fenster bleibt er lesbar.",
        "en": "Note: the address block starts at {measured} mm from the top, the DIN 5008 address zone at {limit} mm; it stays readable in the window.",
    },
    "preflight.address_field.bottom": {
        "de": "Hinweis: Der Anschriftblock endet {measured} mm von oben, die Anschriftzone nach DIN 5008 schon bei {limit} mm; im Fenster bleibt er lesbar.",
        "en": "Note: the address block ends at {measured} mm from the top, the DIN 5008 address zone at {limit} mm; it stays readable in the window.",
    },
    "preflight.address_field.left": {
        "de": "Hinweis: Der Anschriftblock beginnt {measured} mm vom linken Rand, die Anschriftzone nach DIN 5008 erst bei {limit} mm; im Fenster bleibt er lesbar.",
        "en": "Note: the address block starts {measured} mm from the left edge, the DIN 5008 address zone at {limit} mm; it stays readable in the window.",
    },
    "preflight.address_field.right": {
        "de": "Hinweis: Der Anschriftblock reicht bis {measured} mm vom linken Rand, die Anschriftzone nach DIN 5008 nur bis {limit} mm; im Fenster bleibt er lesbar.",
        "en": "Note: the address block reaches {measured} mm from the left edge, the DIN 5008 address zone only {limit} mm; it stays readable in the window.",
    },
    "preflight.address_mismatch": {
        "de": "Die Anschrift im Fenster passt nicht zum Empfänger {recipient} (abweichend: {parts}). Im Fenster steht: „{window}“.",
        "en": "The address in the window does not match the recipient {recipient} (differs: {parts}). The window reads: “{window}”.",
    },
    "preflight.part.name": {"de": "Name", "en": "name"},
    "preflight.part.street": {"de": "Straße", "en": "street"},
    "preflight.part.postcode": {"de": "PLZ", "en": "postcode"},
    "preflight.part.city": {"de": "Ort", "en": "city"},
    "preflight.part.country": {"de": "Land", "en": "country"},
    "preflight.recipient_missing": {
        "de": "Für diesen Empfänger ist keine Postanschrift hinterlegt.",
        "en": "No postal address is on file for this recipient.",
    },
    "preflight.blank_zone": {
        "de": "Seite {page}: {kind} bei {left} mm von links, {top} mm von oben ({width} × {height} mm) liegt im Sperrbereich „{zone}“ ({area}), der frei bleiben muss.",
        "en": "Page {page}: {kind} at {left} mm from the left, {top} mm from the top ({width} × {height} mm) lies in the restricted area “{zone}” ({area}), which must stay blank.",
    },
    "preflight.blank_zone.more": {
        "de": "Seite {page}: {kind} bei {left} mm von links, {top} mm von oben ({width} × {height} mm) und {others} weitere Objekte liegen im Sperrbereich „{zone}“ ({area}), der frei bleiben muss.",
        "en": "Page {page}: {kind} at {left} mm from the left, {top} mm from the top ({width} × {height} mm) and {others} more objects lie in the restricted area “{zone}” ({area}), which must stay blank.",
    },
    "preflight.kind.text": {"de": "Text", "en": "text"},
    "preflight.kind.image": {"de": "ein Bild", "en": "an image"},
    "preflight.kind.path": {"de": "eine Linie oder Fläche", "en": "a line or shape"},
    "preflight.kind.shading": {"de": "ein Farbverlauf", "en": "a shading"},
    "preflight.zone.postage": {"de": "Frankierbereich", "en": "postage area"},
    "preflight.zone.border_top": {"de": "oberer Rand", "en": "top border"},
    "preflight.zone.border_bottom": {"de": "unterer Rand", "en": "bottom border"},
    "preflight.zone.border_left": {"de": "linker Rand", "en": "left border"},
    "preflight.zone.border_right": {"de": "rechter Rand", "en": "right border"},
    "preflight.zone.other": {"de": "{name}", "en": "{name}"},
    "preflight.page_limit": {
        "de": "Der Brief hat {pages:Seite|Seiten}; {provider} nimmt nach {country} höchstens {limit:Seite|Seiten} je Brief.",
        "en": "The letter has {pages:page|pages}; {provider} takes at most {limit:page|pages} per letter to {country}.",
    },
    "preflight.file_size": {
        "de": "Die Druckdatei ist {size} MB groß; {provider} nimmt höchstens {limit} MB je Datei.",
        "en": "The print file is {size} MB; {provider} takes at most {limit} MB per file.",
    },
    "preflight.registered_abroad": {
        "de": "Einwurfeinschreiben verschickt {provider} nur nach {allowed}; die Anschrift liegt in {country}.",
        "en": "{provider} sends registered mail only to {allowed}; the address is in {country}.",
    },
    "preflight.profile": {"de": "Versandprofil", "en": "Postal profile"},
}


@dataclass(frozen=True)
class Message:
    key: str
    facts: dict[str, Any] = field(default_factory=dict)

    def render(self, locale: str = DEFAULT_LOCALE) -> str:
        return render(self.key, locale, **self.facts)

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe form that `from_json` turns back into the same message (stored reports)."""
        return {"key": self.key, "facts": {name: _fact_json(value) for name, value in self.facts.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Message:
        return cls(data["key"], {name: _fact_from_json(value) for name, value in data.get("facts", {}).items()})


def _fact_json(value: Any) -> Any:
    if isinstance(value, Message):
        return {"message": value.to_json()}
    if isinstance(value, (list, tuple)):
        return [_fact_json(item) for item in value]
    return value


def _fact_from_json(value: Any) -> Any:
    if isinstance(value, dict) and "message" in value:
        return Message.from_json(value["message"])
    if isinstance(value, list):
        return [_fact_from_json(item) for item in value]
    return value


def render(key: str, locale: str = DEFAULT_LOCALE, /, **facts: Any) -> str:
    texts = CATALOG[key]
    template = texts.get(locale) or texts[DEFAULT_LOCALE]
    return _COUNTING.vformat(template, (), {name: _fact(value, locale) for name, value in facts.items()})


class _Counting(string.Formatter):
    """`{count:Brief|Briefe}` says "1 Brief", "3 Briefe": the noun agrees with the number;
    `{count:~erfüllt|erfüllen}` gives the agreeing word alone (a verb later in the sentence)."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if "|" not in format_spec:
            return super().format_field(value, format_spec)
        word_only = format_spec.startswith("~")
        one, many = format_spec.removeprefix("~").split("|", 1)
        word = one if value == 1 else many
        return word if word_only else f"{value} {word}"


_COUNTING = _Counting()


def _fact(value: Any, locale: str) -> Any:
    """Numbers the German way in German text: 62,5 mm, not 62.5 mm."""
    if isinstance(value, float):
        text = f"{value:.1f}"
        return text.replace(".", ",") if locale == "de" else text
    if isinstance(value, Message):
        return value.render(locale)
    if isinstance(value, (tuple, list)):
        return "; ".join(str(_fact(item, locale)) for item in value)
    return value
