"""The Slack app's own words, German and English. They live in the same catalog as the domain's
messages (under `ui.`), so one test checks both languages of everything."""

from __future__ import annotations

from typing import Any

from domain.messages import CATALOG, render

UI: dict[str, dict[str, str]] = {
    "loading": {"de": "⏳ Einen Moment, die Daten werden geladen …", "en": "⏳ One moment, loading …"},
    "close": {"de": "Schließen", "en": "Close"},
    "cancel": {"de": "Abbrechen", "en": "Cancel"},
    "title.serial": {"de": "Serienbrief", "en": "Serial letter"},
    "title.notice": {"de": "briefwerk", "en": "briefwerk"},
    "title.picker": {"de": "Serienbriefe", "en": "Serial letters"},
    "title.release": {"de": "Im Portal freigeben", "en": "Release to portal"},
    "title.dispatch": {"de": "Briefversand", "en": "Postal dispatch"},
    "title.documents": {"de": "Dokumente bearbeiten", "en": "Edit documents"},
    "title.delete": {"de": "Serienbrief löschen", "en": "Delete serial letter"},
    "title.settings": {"de": "Einstellungen", "en": "Settings"},
    "help.text": {
        "de": "*briefwerk* – Serienbriefe prüfen, freigeben und versenden.\n"
              "• `/serienbrief` – Liste der Serienbriefe\n• `/serienbrief neu` – neuen Serienbrief anlegen\n"
              "• `/serienbrief 12` – Serienbrief Nr. 12 öffnen\n"
              "• `/serienbrief 12 protokoll` – Versendungsprotokoll\n• `/serienbrief help` – diese Hilfe\n"
              "Im App-Home finden Sie die letzten Serienbriefe und (als Admin) die Einstellungen.",
        "en": "*briefwerk* – review, release and post serial letters.\n"
              "• `/serienbrief` – list of serial letters\n• `/serienbrief neu` – start a new serial letter\n"
              "• `/serienbrief 12` – open serial letter no. 12\n"
              "• `/serienbrief 12 protokoll` – evidence record\n• `/serienbrief help` – this help\n"
              "The App Home lists recent serial letters and (for admins) the settings.",
    },
    "socket.down": {
        "de": "Socket Mode getrennt: Slack kann briefwerk gerade nicht erreichen (/healthz meldet 503). "
              "Neue Verbindungsversuche laufen.",
        "en": "Socket Mode disconnected: Slack cannot reach briefwerk right now (/healthz answers 503). Reconnecting.",
    },
    "socket.up": {"de": "Socket Mode wieder verbunden.", "en": "Socket Mode connected again."},
    "unexpected": {
        "de": "Das hat nicht geklappt (ein unerwarteter Fehler, er wurde protokolliert). Bitte versuchen Sie es erneut.",
        "en": "That did not work (an unexpected error, it was logged). Please try again.",
    },
    "unknown_command": {
        "de": "„{text}“ verstehe ich nicht. `/serienbrief help` zeigt, was geht.",
        "en": "I don't understand “{text}”. `/serienbrief help` shows what works.",
    },
    "slack_unavailable": {
        "de": "Slack konnte gerade nicht bestätigen, wer Sie sind. Bitte versuchen Sie es gleich noch einmal.",
        "en": "Slack could not confirm who you are just now. Please try again in a moment.",
    },
    "reinstalled": {
        "de": "🔁 {user} hat briefwerk in diesem Workspace erneut installiert. An den Rollen hat das nichts geändert; "
              "Admins und Manager legen Sie wie bisher in den Einstellungen fest.",
        "en": "🔁 {user} installed briefwerk in this workspace again. No role changed; admins and managers are set "
              "in the settings as before.",
    },
    "guest_refused": {
        "de": "Gäste und Bots können briefwerk nicht nutzen.",
        "en": "Guests and bots cannot use briefwerk.",
    },
    "not_set_up": {
        "de": "briefwerk ist für diesen Workspace noch nicht eingerichtet.",
        "en": "briefwerk is not set up for this workspace yet.",
    },
    "picker.none": {"de": "Es gibt noch keine Serienbriefe. Legen Sie den ersten an:", "en": "There are no serial letters yet. Start the first one:"},
    "picker.placeholder": {"de": "Serienbrief wählen", "en": "Choose a serial letter"},
    "picker.intro": {"de": "Welchen Serienbrief möchten Sie öffnen?", "en": "Which serial letter do you want to open?"},
    "serial.facts": {
        "de": "*{property}* · {state}\nDokumenttypen: {types} · allgemeine Anhänge: {attachments}",
        "en": "*{property}* · {state}\nDocument types: {types} · general attachments: {attachments}",
    },
    "serial.counts": {
        "de": "{rows:Brief|Briefe} · {contacts:Kontakt|Kontakte} · {registered} registriert · {checked:Brief|Briefe} geprüft",
        "en": "{rows:letter|letters} · {contacts:contact|contacts} · {registered} registered · {checked:letter|letters} checked",
    },
    "serial.check_first": {
        "de": "⚠️ Bitte laden Sie vor der Freigabe mindestens zwei Briefe herunter und prüfen Sie sie (bisher {checked}).",
        "en": "⚠️ Please download and check at least two letters before the release (so far {checked}).",
    },
    "serial.no_rows": {"de": "Keine Empfänger.", "en": "No recipients."},
    "button.documents": {"de": "Dokumente bearbeiten", "en": "Edit documents"},
    "button.release": {"de": "Im Kundenportal freigeben", "en": "Release to portal"},
    "button.dispatch": {"de": "Briefversand …", "en": "Postal dispatch …"},
    "button.previews": {"de": "Fensteransicht prüfen", "en": "Check window view"},
    "button.delete": {"de": "Serienbrief löschen", "en": "Delete serial letter"},
    "button.settings": {"de": "⚙️ Einstellungen", "en": "⚙️ Settings"},
    "button.open": {"de": "Öffnen", "en": "Open"},
    "button.order": {"de": "Briefversand beauftragen", "en": "Order dispatch"},
    "button.cancel_dispatch": {"de": "Versand stornieren", "en": "Cancel dispatch"},
    "button.unavailable": {"de": "⚠️ Funktion nicht verfügbar", "en": "⚠️ Feature not available"},
    "button.link": {"de": "Download-Link (PDF/A) anfordern", "en": "Request download link (PDF/A)"},
    "button.approve": {"de": "Genehmigen", "en": "Approve"},
    "button.reject": {"de": "Ablehnen", "en": "Reject"},
    "relation.owner": {"de": "Eigentümer/in", "en": "owner"},
    "relation.tenant": {"de": "Mieter/in", "en": "tenant"},
    "row.registered": {"de": "✅ registriert", "en": "✅ registered"},
    "row.unregistered": {"de": "⬜ nicht registriert", "en": "⬜ not registered"},
    "preference.online": {"de": "Online", "en": "online"},
    "preference.letter": {"de": "Brief", "en": "letter"},
    "row.preference": {"de": "Präferenz: {preference}", "en": "preference: {preference}"},
    "row.no_address": {"de": "⚠️ keine Postanschrift", "en": "⚠️ no postal address"},
    "row.no_document": {"de": "⚠️ kein Dokument", "en": "⚠️ no document"},
    "row.in_portal": {"de": "🌐 im Portal", "en": "🌐 in the portal"},
    "row.checked": {"de": "📥 {times}× geprüft", "en": "📥 checked {times}×"},
    "row.print_file": {"de": "Datei zum Briefversand", "en": "Print file"},
    "row.document": {"de": "Brief: {type}", "en": "Letter: {type}"},
    "row.unrelease": {"de": "Freigabe {unit} zurücknehmen", "en": "Withdraw {unit} from portal"},
    "row.menu": {"de": "Herunterladen …", "en": "Download …"},
    "page.previous": {"de": "◀ Zurück", "en": "◀ Previous"},
    "page.next": {"de": "Weiter ▶", "en": "Next ▶"},
    "page.find": {"de": "Seite {page}/{pages} – Kontakt suchen", "en": "Page {page}/{pages} – find a contact"},
    "download.sent": {
        "de": "📥 {name} – zur Prüfung heruntergeladen ({what}).",
        "en": "📥 {name} – downloaded for checking ({what}).",
    },
    "release.summary": {
        "de": "Sie geben *{title}* im Kundenportal frei: *{units:Einheit|Einheiten}*; die Dokumente sehen "
              "*{contacts:Kontakt|Kontakte}*, davon {registered} mit Portal-Zugang.",
        "en": "You release *{title}* to the customer portal: *{units:unit|units}*; *{contacts:contact|contacts}* will see "
              "the documents, {registered} of them with portal access.",
    },
    "release.check_warning": {
        "de": "⚠️ Erst {checked:Brief|Briefe} {checked:~wurde|wurden} heruntergeladen. Wir empfehlen, mindestens zwei Briefe vor der Freigabe zu prüfen.",
        "en": "⚠️ Only {checked:letter|letters} {checked:~has|have} been downloaded. We recommend checking at least two before the release.",
    },
    "release.notify": {"de": "Per E-Mail benachrichtigen", "en": "Notify by email"},
    "release.notify_hint": {
        "de": "Registrierte Kontakte erfahren, dass neue Dokumente bereitstehen.",
        "en": "Registered contacts learn that new documents are available.",
    },
    "release.email": {"de": "E-Mail-Benachrichtigung", "en": "Email notification"},
    "release.approval": {
        "de": "Die Manager-Freigabe ist eingeschaltet: Ihre Freigabe wird als Anfrage an die Manager gesendet.",
        "en": "Manager approval is on: your release is sent to the managers as a request.",
    },
    "release.done": {
        "de": "✅ *{title}* ist freigegeben: {units:Einheit|Einheiten}, {contacts:Kontakt|Kontakte}, {emailed:E-Mail|E-Mails} gesendet.",
        "en": "✅ *{title}* is released: {units:unit|units}, {contacts:contact|contacts}, {emailed:email|emails} sent.",
    },
    "release.mail_failures": {
        "de": "⚠️ Nicht zugestellt: {failures}", "en": "⚠️ Not delivered: {failures}",
    },
    "submit.request": {"de": "Anfrage senden", "en": "Send request"},
    "submit.release": {"de": "Freigeben", "en": "Release"},
    "submit.upload": {"de": "Hochladen", "en": "Upload"},
    "submit.delete": {"de": "Endgültig löschen", "en": "Delete for good"},
    "submit.save": {"de": "Speichern", "en": "Save"},
    "filter.all": {"de": "Alle Kontakte", "en": "All contacts"},
    "filter.all.hint": {"de": "Jeder in der Übersicht erhält Post.", "en": "Everyone in the overview gets a letter."},
    "filter.preference": {"de": "Nach Präferenz der Kontakte", "en": "By the contacts' preference"},
    "filter.preference.hint": {
        "de": "Registriert + Online: keine Post; alle anderen: Post.",
        "en": "Registered + online: no letter; everyone else: a letter.",
    },
    "filter.unregistered": {"de": "Nicht registrierte Kontakte", "en": "Unregistered contacts"},
    "filter.unregistered.hint": {
        "de": "Nur wer nicht im Portal registriert ist.", "en": "Only those not registered in the portal.",
    },
    "option.merge": {"de": "Briefe zusammenfügen", "en": "Merge letters"},
    "option.merge.hint": {"de": "Ein Brief je Kontakt, Anhänge nur einmal.", "en": "One letter per contact, attachments once."},
    "option.registered": {"de": "Einwurfeinschreiben", "en": "Registered mail"},
    "option.registered.hint": {"de": "Nur innerhalb Deutschlands.", "en": "Within Germany only."},
    "option.colour": {"de": "Farbdruck", "en": "Colour"},
    "option.colour.hint": {"de": "Sonst schwarz/weiß.", "en": "Otherwise black and white."},
    "option.duplex": {"de": "Beidseitig drucken", "en": "Duplex"},
    "option.duplex.hint": {"de": "Sonst einseitig.", "en": "Otherwise simplex."},
    "option.optimise_duplex": {"de": "Für beidseitigen Druck optimieren", "en": "Optimise for duplex"},
    "option.optimise_duplex.hint": {
        "de": "Leerseite nach jeder PDF mit ungerader Seitenzahl.",
        "en": "A blank page after every PDF with an odd page count.",
    },
    "option.cover_sheet": {"de": "Adressblatt, wo nötig", "en": "Address sheet where needed"},
    "option.cover_sheet.hint": {
        "de": "Zeigt das Fenster eine andere Anschrift, kommt ein Adressblatt davor; sonst wird der Brief angehalten.",
        "en": "If the window shows another address, a cover sheet goes first; otherwise the letter is held.",
    },
    "dispatch.filter": {"de": "*Briefversand an*", "en": "*Send letters to*"},
    "dispatch.options": {"de": "*Optionen*", "en": "*Options*"},
    "dispatch.no_registered": {
        "de": "Einwurfeinschreiben ist in Ihrem Vertrag nicht enthalten – bitte wenden Sie sich an {contact}.",
        "en": "Registered mail is not part of your contract – please contact {contact}.",
    },
    "dispatch.individual": {"de": "*Individuelle Auswahl*", "en": "*Individual selection*"},
    "dispatch.tick": {"de": "Zusätzlich per Post …", "en": "Also by post …"},
    "dispatch.untick": {"de": "Keine Post für …", "en": "No letter for …"},
    "dispatch.why": {"de": "Warum (keine) Post?", "en": "Why (no) letter?"},
    "dispatch.why_line": {"de": "ℹ️ *{name}*: {reason}", "en": "ℹ️ *{name}*: {reason}"},
    "dispatch.more_selected": {
        "de": "… und {count} weitere Auswahlen, die hier nicht angezeigt werden.",
        "en": "… and {count} more selections not shown here.",
    },
    "dispatch.computing": {
        "de": "⏳ Briefe werden zusammengestellt und geprüft …", "en": "⏳ Assembling and checking letters …",
    },
    "dispatch.summary": {"de": "*Zusammenfassung*", "en": "*Summary*"},
    "dispatch.failing": {
        "de": "*❌ {count:Brief|Briefe} {count:~erfüllt|erfüllen} die Versandanforderungen nicht:*",
        "en": "*❌ {count:letter|letters} {count:~fails|fail} the postal requirements:*",
    },
    "dispatch.more_failing": {"de": "… und {count} weitere", "en": "… and {count} more"},
    "dispatch.unreached": {
        "de": "*⚠️ Nicht erreicht ({count}) – weder per Post (keine vollständige Postanschrift) noch im Portal (nicht "
              "registriert):* {names}. Anschrift in der Hausverwaltungssoftware ergänzen und die Stammdaten neu "
              "importieren, oder auf anderem Weg zustellen.",
        "en": "*⚠️ Not reached ({count}) – neither by post (no complete postal address) nor in the portal (not "
              "registered):* {names}. Complete the address in the property-management software and import the master "
              "data again, or deliver another way.",
    },
    "dispatch.advised": {
        "de": "*ℹ️ {count:Brief|Briefe} {count:~weicht|weichen} leicht von DIN 5008 ab, {count:~bleibt|bleiben} im Fenster aber lesbar (kein Adressblatt, keine Kosten):*",
        "en": "*ℹ️ {count:letter|letters} {count:~deviates|deviate} slightly from DIN 5008 but {count:~stays|stay} readable in the window (no cover sheet, no cost):*",
    },
    "dispatch.changed": {
        "de": "🔄 Der Serienbrief wurde inzwischen geändert; die Ansicht zeigt den aktuellen Stand.",
        "en": "🔄 The serial letter changed meanwhile; the view shows the current state.",
    },
    "figure.recipients": {"de": "*Empfänger:* {paper} von {contacts}", "en": "*Recipients:* {paper} of {contacts}"},
    "figure.letters": {"de": "*Briefe:* {letters} (davon {failing} fehlerhaft)", "en": "*Letters:* {letters} ({failing} failing)"},
    "figure.pages": {"de": "*Seiten/Blatt:* {pages} / {sheets}", "en": "*Pages/sheets:* {pages} / {sheets}"},
    "figure.blanks": {"de": "*Leerseiten/Adressblätter:* {blanks} / {covers}", "en": "*Blank pages/cover sheets:* {blanks} / {covers}"},
    "figure.cost_quoted": {"de": "(Preisrechner des Dienstleisters)", "en": "(the provider's price calculator)"},
    "figure.cost": {"de": "*Kosten ca.:* {cost} netto", "en": "*Cost approx.:* {cost} net"},
    "order.confirm_title": {"de": "Versand beauftragen?", "en": "Order dispatch?"},
    "order.confirm_text": {
        "de": "{letters:Brief|Briefe} {letters:~wird|werden} gedruckt und versendet (ca. {cost} netto).",
        "en": "{letters:letter|letters} will be printed and posted (approx. {cost} net).",
    },
    "order.confirm": {"de": "Beauftragen", "en": "Order"},
    "order.disabled": {"de": "Versand derzeit nicht möglich:", "en": "Dispatch not possible now:"},
    "order.started": {
        "de": "📮 Versand beauftragt: {letters:Brief|Briefe} {letters:~wird|werden} erstellt und übergeben …",
        "en": "📮 Dispatch ordered: {letters:letter|letters} {letters:~is|are} being built and handed over …",
    },
    "order.done": {
        "de": "✅ {submitted:Brief|Briefe} übergeben ({already} waren schon beim Dienstleister), {failed} fehlgeschlagen.",
        "en": "✅ {submitted:letter|letters} handed over ({already} were already with the provider), {failed} failed.",
    },
    "order.requested": {
        "de": "📨 Der Versand wurde den Managern zur Genehmigung vorgelegt.",
        "en": "📨 The dispatch was sent to the managers for approval.",
    },
    "cancel.confirm_title": {"de": "Versand stornieren?", "en": "Cancel dispatch?"},
    "cancel.confirm_text": {
        "de": "Alle Briefe, die noch nicht gedruckt werden, werden zurückgezogen.",
        "en": "Every letter not yet printing is withdrawn.",
    },
    "cancel.confirm": {"de": "Stornieren", "en": "Cancel dispatch"},
    "cancel.keep": {"de": "Nicht stornieren", "en": "Keep it"},
    "cancel.requested": {
        "de": "Für {count:Brief|Briefe} ist die Stornierung beantragt; der Dienstleister bestätigt oder lehnt sie ab, das steht dann im Verlauf.",
        "en": "Cancellation requested for {count:letter|letters}; the provider confirms or rejects it, and the thread will say which.",
    },
    "cancel.done": {
        "de": "↩️ Storniert: {cancelled:Brief|Briefe}. Nicht mehr stornierbar: {late}.",
        "en": "↩️ Cancelled: {cancelled:letter|letters}. Too late for: {late}.",
    },
    "link.sent": {
        "de": "🔗 Download-Link für {letters:Brief|Briefe} ({pages:Seite|Seiten}) an {recipients} gesendet.",
        "en": "🔗 Download link for {letters:letter|letters} ({pages:page|pages}) sent to {recipients}.",
    },
    "link.requested": {
        "de": "📨 Der Download-Link wurde den Managern zur Genehmigung vorgelegt.",
        "en": "📨 The download link was sent to the managers for approval.",
    },
    "documents.attachment": {"de": "Allgemeiner Anhang", "en": "General attachment"},
    "documents.file": {"de": "PDF-Dateien", "en": "PDF files"},
    "documents.type": {"de": "Dokumenttyp", "en": "Document type"},
    "documents.method": {"de": "Aufteilen nach", "en": "Split by"},
    "documents.value": {"de": "Markierung, Seiten je Einheit oder Bereiche", "en": "Marker, pages per unit or ranges"},
    "documents.value_hint": {
        "de": "Markierung: z. B. „Einheit: {{unit}}“ · Seitenzahl: z. B. 3 · Bereiche: WE 01=1-3; WE 02=4-5",
        "en": "Marker: e.g. “Unit: {{unit}}” · page count: e.g. 3 · ranges: WE 01=1-3; WE 02=4-5",
    },
    "documents.done": {
        "de": "✅ {filename}: {assigned:Einheit|Einheiten} zugeordnet.", "en": "✅ {filename}: {assigned:unit|units} assigned.",
    },
    "documents.attachment_done": {
        "de": "✅ Anhang {filename} ({pages:Seite|Seiten}) gespeichert.", "en": "✅ Attachment {filename} ({pages:page|pages}) saved.",
    },
    "documents.bad_value": {
        "de": "Bitte eine Zahl (Seiten je Einheit) oder Bereiche wie „WE 01=1-3; WE 02=4-5“ angeben.",
        "en": "Please give a number (pages per unit) or ranges like “WE 01=1-3; WE 02=4-5”.",
    },
    "documents.no_file": {"de": "Bitte mindestens eine PDF-Datei hochladen.", "en": "Please upload at least one PDF file."},
    "split.marker": {"de": "Markierung im Text", "en": "Text marker"},
    "split.pages": {"de": "Feste Seitenzahl", "en": "Fixed page count"},
    "split.ranges": {"de": "Seitenbereiche", "en": "Page ranges"},
    "split.files": {"de": "Eine Datei je Einheit", "en": "One file per unit"},
    "delete.text": {
        "de": "*{title}* wird gelöscht: alle freigegebenen Dokumente verschwinden sofort aus dem Kundenportal. "
              "Das Versendungsprotokoll bleibt erhalten.",
        "en": "*{title}* will be deleted: every released document disappears from the customer portal at once. "
              "The evidence record is kept.",
    },
    "delete.admin_only": {"de": "Serienbriefe löschen dürfen nur Admins; einen Entwurf auch die Person, die ihn angelegt hat.", "en": "Only admins may delete serial letters; a draft also the person who created it."},
    "delete.done": {
        "de": "🗑️ *{title}* gelöscht, {documents} Dokumente aus dem Portal entfernt.",
        "en": "🗑️ *{title}* deleted, {documents} documents removed from the portal.",
    },
    "unrelease.done": {
        "de": "Freigabe für {unit} zurückgenommen ({documents} Dokumente).",
        "en": "Withdrew {unit} from the portal ({documents} documents).",
    },
    "provider.none": {"de": "Kein Briefversand", "en": "No postal dispatch"},
    "settings.admins": {"de": "Admins", "en": "Admins"},
    "settings.managers": {"de": "Manager (Freigaben, Download-Links)", "en": "Managers (approvals, download links)"},
    "settings.channel": {"de": "Kanal für Statusmeldungen", "en": "Channel for status updates"},
    "settings.channel_hint": {
        "de": "Jeder Serienbrief bekommt dort einen Thread; briefwerk muss Mitglied des Kanals sein.",
        "en": "Each serial letter gets a thread there; briefwerk must be a member of the channel.",
    },
    "settings.approval": {"de": "Manager-Freigabe", "en": "Manager approval"},
    "settings.approval_on": {"de": "Freigabe, Versand und Download-Links brauchen eine Manager-Genehmigung", "en": "Release, dispatch and download links need a manager's approval"},
    "settings.provider": {"de": "Versanddienstleister", "en": "Print-and-mail provider"},
    "settings.contact_text": {"de": "Ansprechpartner bei fehlender Funktion", "en": "Whom to ask when a feature is missing"},
    "settings.contact_text_hint": {
        "de": "Wird beim gelben Button gezeigt, z. B. „support@ihre-hv.de“.",
        "en": "Shown with the yellow button, e.g. “support@your-company.com”.",
    },
    "settings.locale": {"de": "Sprache der Organisation", "en": "Organisation language"},
    "settings.admin_only": {"de": "Die Einstellungen ändern nur Admins.", "en": "Only admins change the settings."},
    "settings.saved": {"de": "✅ Einstellungen gespeichert.", "en": "✅ Settings saved."},
    "settings.need_admin": {"de": "Mindestens ein Admin ist nötig.", "en": "At least one admin is needed."},
    "home.intro": {
        "de": "Serienbriefe prüfen, im Kundenportal freigeben und per Post versenden. `/serienbrief help` zeigt alle Befehle.",
        "en": "Review serial letters, release them to the customer portal and post them. `/serienbrief help` shows every command.",
    },
    "home.none": {"de": "Noch keine Serienbriefe.", "en": "No serial letters yet."},
    "next.draft": {"de": "Nächster Schritt: prüfen und freigeben", "en": "Next: check and release"},
    "next.released": {"de": "Nächster Schritt: Briefversand einstellen", "en": "Next: set up the postal dispatch"},
    "next.dispatch_ordered": {"de": "Briefe werden übergeben", "en": "Letters are being handed over"},
    "next.with_provider": {"de": "Beim Dienstleister – Status folgt", "en": "With the provider – status follows"},
    "next.printed": {"de": "Gedruckt – Versand folgt", "en": "Printed – posting follows"},
    "next.posted": {"de": "Erledigt", "en": "Done"},
    "next.cancelled": {"de": "Storniert – neu beauftragen möglich", "en": "Cancelled – can be ordered again"},
    "next.failed": {"de": "Fehler prüfen", "en": "Check the failures"},
    "next.deleted": {"de": "Gelöscht", "en": "Deleted"},
    "approval.kind.release": {"de": "die Freigabe im Kundenportal", "en": "the release to the customer portal"},
    "approval.kind.order": {"de": "den Briefversand", "en": "the postal dispatch"},
    "approval.kind.download_link": {"de": "einen Download-Link", "en": "a download link"},
    "approval.asked": {
        "de": "🙋 {requester} bittet um Genehmigung für {kind} von *{title}* (Nr. {id}).",
        "en": "🙋 {requester} asks for approval of {kind} of *{title}* (no. {id}).",
    },
    "approval.notify_yes": {"de": "Mit E-Mail an registrierte Kontakte.", "en": "With email to registered contacts."},
    "approval.notify_no": {"de": "Ohne E-Mail-Benachrichtigung.", "en": "Without email notification."},
    "approval.order_details": {"de": "{letters:Brief|Briefe}, ca. {cost} netto.", "en": "{letters:letter|letters}, approx. {cost} net."},
    "approval.pending": {"de": "⏳ offen", "en": "⏳ pending"},
    "approval.approved": {"de": "✅ Genehmigt von {who}", "en": "✅ Approved by {who}"},
    "approval.rejected": {"de": "⛔ Abgelehnt von {who}", "en": "⛔ Rejected by {who}"},
    "approval.expired": {"de": "⌛ Abgelaufen", "en": "⌛ Expired"},
    "approval.not_posted": {
        "de": "Die Genehmigungsanfrage konnte keinem Manager zugestellt werden (ist briefwerk im Freigabe-Kanal?). Bitte wenden Sie sich an einen Admin.",
        "en": "The approval request could not be delivered to any manager (is briefwerk in the approval channel?). Please ask an admin.",
    },
    "approval.already": {
        "de": "Diese Anfrage wurde bereits entschieden ({state}).", "en": "This request was already decided ({state}).",
    },
    "approval.told_requester": {
        "de": "Ihre Anfrage für {kind} von *{title}*: {result}",
        "en": "Your request for {kind} of *{title}*: {result}",
    },
    "thread.parent": {
        "de": "Serienbrief Nr. {id}: {title} · {property} · {state}",
        "en": "Serial letter no. {id}: {title} · {property} · {state}",
    },
    "preview.caption": {
        "de": "Fensteransicht: {name} ({units}) – grün: Adressfeld, rot: Sperrflächen. {result}",
        "en": "Window view: {name} ({units}) – green: address area, red: blank zones. {result}",
    },
    "preview.ok": {"de": "✅ Prüfung bestanden.", "en": "✅ Preflight passed."},
    "preview.legend": {
        "de": "Grüner Rahmen: zeigt das Fenster immer, wie auch immer der Brief im Umschlag liegt · orange: Anschriftzone nach DIN 5008 · "
              "gefüllter Kasten: die gemessene Anschrift (grün in Ordnung, orange Hinweis, rot wird abgeschnitten).",
        "en": "Green frame: what the window always shows, wherever the letter sits in the envelope · orange: the DIN 5008 address zone · "
              "filled box: the address as measured (green fine, orange a note, red cut off).",
    },
    "preview.cover": {"de": "✉️ Bekommt ein Adressblatt.", "en": "✉️ Gets an address cover sheet."},
    "preview.none": {"de": "Es gibt keine Briefe zur Ansicht.", "en": "There are no letters to show."},
    "evidence.posted": {
        "de": "🧾 Versendungsprotokoll „{title}“: {letters:Brief|Briefe} mit Prüfsummen, Beauftragung und Ereignissen (PDF und CSV).",
        "en": "🧾 Evidence record “{title}”: {letters:letter|letters} with checksums, orders and events (PDF and CSV).",
    },
    "evidence.sending": {
        "de": "🧾 Das Versendungsprotokoll kommt gleich in Ihre Direktnachrichten.",
        "en": "🧾 The evidence record is on its way to your direct messages.",
    },
    "event.created": {"de": "📝 Angelegt von {who}", "en": "📝 Created by {who}"},
    "event.documents_uploaded": {
        "de": "📄 {who} hat {document_type} hochgeladen ({filename}): {units:Einheit|Einheiten} zugeordnet",
        "en": "📄 {who} uploaded {document_type} ({filename}): {units:unit|units} assigned",
    },
    "event.attachment_added": {
        "de": "📎 {who} hat den allgemeinen Anhang {filename} ({pages:Seite|Seiten}) hinzugefügt",
        "en": "📎 {who} added the general attachment {filename} ({pages:page|pages})",
    },
    "event.released": {
        "de": "🌐 Im Kundenportal freigegeben von {who}: {units:Einheit|Einheiten}, {contacts:Kontakt|Kontakte}",
        "en": "🌐 Released to the portal by {who}: {units:unit|units}, {contacts:contact|contacts}",
    },
    "event.notified": {"de": "✉️ {emailed:E-Mail|E-Mails} an registrierte Kontakte", "en": "✉️ {emailed:email|emails} to registered contacts"},
    "event.unit_withdrawn": {"de": "↩️ {who} hat die Freigabe für {unit} zurückgenommen", "en": "↩️ {who} withdrew {unit} from the portal"},
    "event.deleted": {"de": "🗑️ Gelöscht von {who}", "en": "🗑️ Deleted by {who}"},
    "event.ordered": {
        "de": "📮 Versand beauftragt von {who}: {letters:Brief|Briefe}, {sheets} Blatt",
        "en": "📮 Dispatch ordered by {who}: {letters:letter|letters}, {sheets} sheets",
    },
    "event.with_provider": {
        "de": "🖨️ Beim Dienstleister: {submitted:Brief|Briefe} übergeben, {failed} fehlgeschlagen",
        "en": "🖨️ With the provider: {submitted:letter|letters} handed over, {failed} failed",
    },
    "event.failed": {"de": "❌ Versand fehlgeschlagen: {failed:Brief|Briefe}", "en": "❌ Dispatch failed: {failed:letter|letters}"},
    "event.shipment_failed": {"de": "❌ Brief {reference}: {reason}", "en": "❌ Letter {reference}: {reason}"},
    "event.cancelled": {
        "de": "↩️ Storniert von {who}: {cancelled:Brief|Briefe} ({not_cancellable} nicht mehr stornierbar)",
        "en": "↩️ Cancelled by {who}: {cancelled:letter|letters} ({not_cancellable} too late)",
    },
    "event.download_link": {"de": "🔗 Download-Link angefordert von {who}", "en": "🔗 Download link requested by {who}"},
    "event.approval_requested": {"de": "🙋 {who} bittet um Genehmigung: {request}", "en": "🙋 {who} asks for approval: {request}"},
    "event.approval_decided": {"de": "⚖️ {request}: {decision} von {who}", "en": "⚖️ {request}: {decision} by {who}"},
    "event.printed": {"de": "🖨️ Gedruckt: {count:Brief|Briefe}", "en": "🖨️ Printed: {count:letter|letters}"},
    "event.posted": {"de": "✅ Versendet: {count:Brief|Briefe}", "en": "✅ Posted: {count:letter|letters}"},
    "event.provider_failed": {"de": "❌ Vom Dienstleister abgelehnt: {count:Brief|Briefe}", "en": "❌ Rejected by the provider: {count:letter|letters}"},
    "order.progress": {
        "de": "📮 {done} von {total} Briefen an den Dienstleister übergeben …",
        "en": "📮 {done} of {total:letter|letters} handed to the provider …",
    },
    "button.send_now": {"de": "Sofort versenden", "en": "Send at once"},
    "option.send_on": {"de": "Versand am (leer: sofort)", "en": "Send on (empty: at once)"},
    "order.scheduled": {
        "de": "📅 Versand beauftragt: {letters:Brief|Briefe} {letters:~wird|werden} am {date} an den Dienstleister übergeben.",
        "en": "📅 Dispatch ordered: {letters:letter|letters} will be handed to the provider on {date}.",
    },
    "approval.reminder": {
        "de": "⏰ Erinnerung: {requester} wartet seit {hours} Stunden auf eine Entscheidung über {kind} von *{title}* (Nr. {id}).",
        "en": "⏰ Reminder: {requester} has been waiting {hours} hours for a decision on {kind} of *{title}* (no. {id}).",
    },
    "event.scheduled": {
        "de": "📅 Übergabe an den Dienstleister geplant für den {date}",
        "en": "📅 Hand-over to the provider scheduled for {date}",
    },
    "event.handover_delayed": {
        "de": "⏳ {provider} ist gerade nicht erreichbar – die Briefe werden automatisch erneut übergeben",
        "en": "⏳ {provider} is unavailable right now – the letters are handed over again automatically",
    },
    "event.files_unavailable": {
        "de": "⏳ Gespeicherte Dateien sind gerade nicht lesbar – die Briefe werden automatisch erneut übergeben: {reason}",
        "en": "⏳ Stored files cannot be read right now – the letters are handed over again automatically: {reason}",
    },
    "event.provider_cancelled": {"de": "↩️ Beim Dienstleister storniert: {count:Brief|Briefe}", "en": "↩️ Cancelled at the provider: {count:letter|letters}"},
    "event.all_printed": {
        "de": "🖨️ Alle Briefe sind gedruckt: {printed} gedruckt, {failed} fehlgeschlagen",
        "en": "🖨️ Every letter is printed: {printed} printed, {failed} failed",
    },
    "event.all_posted": {
        "de": "📬 Versand abgeschlossen: {posted:Brief|Briefe} versendet, {failed} fehlgeschlagen",
        "en": "📬 Dispatch complete: {posted:letter|letters} posted, {failed} failed",
    },
    "event.approval_expired": {
        "de": "⌛ Anfrage abgelaufen: {request} (ohne Entscheidung nach {hours} Stunden)",
        "en": "⌛ Request expired: {request} (no decision after {hours} hours)",
    },
    "event.shipment_printed": {"de": "🖨️ Brief {reference} gedruckt ({status})", "en": "🖨️ Letter {reference} printed ({status})"},
    "event.shipment_posted": {"de": "✅ Brief {reference} versendet ({status})", "en": "✅ Letter {reference} posted ({status})"},
    "event.shipment_provider_failed": {
        "de": "❌ Brief {reference} vom Dienstleister abgelehnt: {reason}",
        "en": "❌ Letter {reference} refused by the provider: {reason}",
    },
    "event.undeliverable": {
        "de": "📭 Unzustellbar zurückgemeldet: {count:Brief|Briefe} – Details im Nachweis",
        "en": "📭 Reported undeliverable: {count:letter|letters} – details in the evidence record",
    },
    "event.waiting_for_credit": {
        "de": "💶 Wartet auf Guthaben: {count:Brief|Briefe} – bitte das Guthaben beim Dienstleister aufladen, dann gehen sie von selbst weiter",
        "en": "💶 Waiting for credit: {count:letter|letters} – please top up the account with the provider, then they go on by themselves",
    },
    "event.waiting_for_credit_reminder": {
        "de": "⏰ Erinnerung: {count:Brief|Briefe} {count:~wartet|warten} weiter auf Guthaben beim Dienstleister",
        "en": "⏰ Reminder: {count:letter|letters} {count:~is|are} still waiting for credit with the provider",
    },
    "event.shipment_waiting_for_credit_reminder": {
        "de": "⏰ Brief {reference} wartet weiter auf Guthaben ({status})",
        "en": "⏰ Letter {reference} is still waiting for credit ({status})",
    },
    "event.shipment_delivered": {"de": "📬 Brief {reference} zugestellt ({status})", "en": "📬 Letter {reference} delivered ({status})"},
    "event.shipment_waiting_for_credit": {
        "de": "💶 Brief {reference} wartet auf Guthaben ({status})",
        "en": "💶 Letter {reference} is waiting for credit ({status})",
    },
    "event.cancel_rejected": {
        "de": "⚠️ Stornierung abgelehnt – wird doch versendet: {count:Brief|Briefe}",
        "en": "⚠️ Cancellation rejected – will be posted after all: {count:letter|letters}",
    },
    "event.shipment_cancel_rejected": {
        "de": "⚠️ Brief {reference}: Stornierung abgelehnt, wird doch versendet ({status})",
        "en": "⚠️ Letter {reference}: cancellation rejected, will be posted after all ({status})",
    },
    "event.shipment_cancelled": {
        "de": "↩️ Brief {reference} beim Dienstleister storniert ({status})",
        "en": "↩️ Letter {reference} cancelled at the provider ({status})",
    },
    "event.other": {"de": "{kind} ({who}): {data}", "en": "{kind} ({who}): {data}"},
    "event.renamed": {"de": "✏️ Umbenannt von {who}: „{before}“ → „{title}“", "en": "✏️ Renamed by {who}: “{before}” → “{title}”"},
    "event.attachment_removed": {"de": "📎 Anhang {filename} entfernt von {who}", "en": "📎 Attachment {filename} removed by {who}"},
    # --- new serial letter ----------------------------------------------------------------
    "title.new_serial": {"de": "Neuer Serienbrief", "en": "New serial letter"},
    "title.intake_result": {"de": "Dokumente", "en": "Documents"},
    "title.rename": {"de": "Umbenennen", "en": "Rename"},
    "title.import": {"de": "Stammdaten importieren", "en": "Import master data"},
    "title.api_keys": {"de": "API-Schlüssel", "en": "API keys"},
    "button.new_serial": {"de": "➕ Neuer Serienbrief", "en": "➕ New serial letter"},
    "button.import": {"de": "📥 Stammdaten importieren", "en": "📥 Import master data"},
    "button.api_keys": {"de": "🔑 API-Schlüssel", "en": "🔑 API keys"},
    "button.rename": {"de": "Umbenennen", "en": "Rename"},
    "button.delete_draft": {"de": "Entwurf löschen", "en": "Delete draft"},
    "button.to_overview": {"de": "Zur Übersicht", "en": "To the overview"},
    "button.back_to_files": {"de": "Zurück zu den Dateien", "en": "Back to the files"},
    "button.keep_earlier": {"de": "Bisherige behalten", "en": "Keep the earlier ones"},
    "button.take_new": {"de": "Neue übernehmen", "en": "Take the new ones"},
    "button.revoke": {"de": "Widerrufen", "en": "Revoke"},
    "submit.next": {"de": "Weiter", "en": "Next"},
    "submit.create": {"de": "Anlegen", "en": "Create"},
    "submit.import": {"de": "Importieren", "en": "Import"},
    "submit.check": {"de": "Prüfen", "en": "Check"},
    "submit.create_key": {"de": "Schlüssel erzeugen", "en": "Create key"},
    "new.property": {"de": "Liegenschaft", "en": "Property"},
    "new.property_placeholder": {"de": "Name oder Nummer eingeben …", "en": "Type a name or number …"},
    "new.property_units": {"de": "{units:Einheit|Einheiten}", "en": "{units:unit|units}"},
    "new.title": {"de": "Titel", "en": "Title"},
    "new.title_placeholder": {"de": "z. B. Hausgeldabrechnung 2025", "en": "e.g. Service charge statement 2025"},
    "new.types": {"de": "Dokumenttypen", "en": "Document types"},
    "new.types_hint": {
        "de": "Ein Dokumenttyp je Zeile, höchstens 10 – z. B. Hausgeldabrechnung, Wirtschaftsplan, Einladung.",
        "en": "One document type per line, at most 10 – e.g. statement, budget, invitation.",
    },
    "new.recipients": {"de": "Empfänger", "en": "Recipients"},
    "recipients.owners": {"de": "Eigentümer", "en": "Owners"},
    "recipients.tenants": {"de": "Mieter", "en": "Tenants"},
    "recipients.both": {"de": "Eigentümer und Mieter", "en": "Owners and tenants"},
    "new.no_units": {
        "de": "Diese Liegenschaft hat keine Einheiten. Importieren Sie zuerst ihre Stammdaten (App-Home → Stammdaten importieren).",
        "en": "This property has no units. Import its master data first (App Home → Import master data).",
    },
    "new.no_properties": {
        "de": "Noch keine Liegenschaft – ein Admin importiert die Stammdaten im App-Home.",
        "en": "No property yet – an admin imports the master data in the App Home.",
    },
    "new.facts": {
        "de": "*{title}* · {property} · {units:Einheit|Einheiten} · Empfänger: {recipients}",
        "en": "*{title}* · {property} · {units:unit|units} · recipients: {recipients}",
    },
    "new.files_intro": {
        "de": "Je Dokumenttyp: *ein Sammel-PDF* (wird nach Markierung, Seitenzahl oder Bereichen aufgeteilt) oder "
              "*eine Datei je Einheit* (PDFs oder ein ZIP; der Dateiname endet auf die Einheit, z. B. Plan_WE_03.pdf). "
              "Mehr als 10 Einzeldateien: als ZIP, oder später über „Dokumente bearbeiten“ ergänzen.",
        "en": "Per document type: *one batch PDF* (split by marker, page count or ranges) or *one file per unit* "
              "(PDFs or a ZIP; the file name ends with the unit, e.g. Plan_WE_03.pdf). More than 10 single files: "
              "as a ZIP, or add them later with “Edit documents”.",
    },
    "new.type_files": {"de": "{type}: Dateien", "en": "{type}: files"},
    "new.type_method": {"de": "{type}: aufteilen nach", "en": "{type}: split by"},
    "new.type_setting": {"de": "{type}: Markierung, Seitenzahl oder Bereiche", "en": "{type}: marker, page count or ranges"},
    "new.attachments": {"de": "Allgemeine Anhänge (jeder Empfänger erhält sie einmal)", "en": "General attachments (every recipient gets them once)"},
    "new.zip_needs_files": {
        "de": "Ein ZIP enthält Einzeldateien: bitte „Eine Datei je Einheit“ wählen.",
        "en": "A ZIP holds single files: please choose “One file per unit”.",
    },
    "new.working": {"de": "⏳ Dateien werden geladen, geprüft und aufgeteilt …", "en": "⏳ Fetching, checking and splitting the files …"},
    "new.created": {
        "de": "✅ Serienbrief Nr. {id} *{title}* angelegt ({property}, {units:Einheit|Einheiten}).",
        "en": "✅ Serial letter no. {id} *{title}* created ({property}, {units:unit|units}).",
    },
    "new.failed": {
        "de": "⚠️ Nichts wurde angelegt: {reason}\nKorrigieren Sie die Datei und laden Sie sie erneut hoch.",
        "en": "⚠️ Nothing was created: {reason}\nCorrect the file and upload it again.",
    },
    "new.more_lines": {"de": "… und {count} weitere Zeilen", "en": "… and {count} more lines"},
    "documents.mode": {"de": "Bisherige Zuordnung", "en": "Earlier assignment"},
    "documents.mode_add": {"de": "Ergänzen – neue Einheiten kommen hinzu", "en": "Add – new units join"},
    "documents.mode_replace": {"de": "Ersetzen – die Zuordnung dieses Typs neu aufbauen", "en": "Replace – rebuild this type's assignment"},
    "documents.file_hint": {
        "de": "Sammel-PDF, Einzel-PDFs oder ZIP mit einer Datei je Einheit (höchstens 10 Dateien je Upload).",
        "en": "A batch PDF, single PDFs or a ZIP with one file per unit (at most 10 files per upload).",
    },
    "documents.conflict_choose": {"de": "Wie soll es weitergehen?", "en": "How do you want to go on?"},
    "documents.stored": {"de": "✅ {document_type}: {count:Einheit|Einheiten} gespeichert.", "en": "✅ {document_type}: {count:unit|units} stored."},
    "documents.attachments_stored": {"de": "✅ {count} Anhänge gespeichert.", "en": "✅ {count} attachments stored."},
    "rename.label": {"de": "Neuer Titel", "en": "New title"},
    "rename.done": {"de": "✏️ Umbenannt in *{title}*.", "en": "✏️ Renamed to *{title}*."},
    "rename.not_allowed": {
        "de": "Umbenennen und Löschen eines Entwurfs dürfen nur die Person, die ihn angelegt hat, und Admins.",
        "en": "Only the person who created a draft and admins may rename or delete it.",
    },
    # --- master data ----------------------------------------------------------------------
    "import.file": {"de": "CSV- oder JSON-Export Ihrer Hausverwaltungssoftware", "en": "CSV or JSON export of your property-management software"},
    "import.hint": {
        "de": "Eine Zeile je Kontakt und Einheit (Spalten siehe README). Sie sehen zuerst eine Vorschau; gespeichert wird erst nach „Importieren“.",
        "en": "One row per contact and unit (columns: see README). You see a preview first; nothing is stored before “Import”.",
    },
    "import.working": {"de": "⏳ Die Datei wird gelesen und geprüft …", "en": "⏳ Reading and checking the file …"},
    "import.preview": {
        "de": "*{file}* für *{org}*: {rows} Zeilen\n• neu: {created}\n• geändert: {updated}\n• beendete Zuordnungen: {ended}",
        "en": "*{file}* for *{org}*: {rows} rows\n• new: {created}\n• changed: {updated}\n• links ended: {ended}",
    },
    "import.preview_ok": {
        "de": "Alle Zeilen sind in Ordnung. „Importieren“ übernimmt alles auf einmal.",
        "en": "Every row is fine. “Import” applies everything at once.",
    },
    "import.preview_rejected": {
        "de": "⚠️ Abgelehnte Zeilen: {count} – so wird nichts importiert. Bitte korrigieren Sie die Datei und laden Sie sie erneut hoch:",
        "en": "⚠️ Rows rejected: {count} – nothing will be imported like this. Please correct the file and upload it again:",
    },
    "import.changed_meanwhile": {
        "de": "Die Datei in Slack ist nicht mehr die geprüfte. Bitte laden Sie sie erneut hoch.",
        "en": "The file in Slack is no longer the one checked. Please upload it again.",
    },
    "import.done": {
        "de": "✅ *{file}* importiert: {rows} Zeilen – neu: {created}; geändert: {updated}; beendete Zuordnungen: {ended}.",
        "en": "✅ *{file}* imported: {rows} rows – new: {created}; changed: {updated}; links ended: {ended}.",
    },
    "import.counts": {
        "de": "{properties:Liegenschaft|Liegenschaften}, {units:Einheit|Einheiten}, {contacts:Kontakt|Kontakte}, {links:Zuordnung|Zuordnungen}",
        "en": "{properties:property|properties}, {units:unit|units}, {contacts:contact|contacts}, {links:link|links}",
    },
    "import.admin_only": {"de": "Stammdaten importieren nur Admins.", "en": "Only admins import master data."},
    "home.imports": {"de": "*Letzte Importe*", "en": "*Recent imports*"},
    "home.import_row": {
        "de": "{at} · {file} · {by} ({route}) · {rows} Zeilen",
        "en": "{at} · {file} · {by} ({route}) · {rows} rows",
    },
    "home.identity_missing": {
        "de": "⚠️ Absender noch nicht eingerichtet: Kontakte lesen sonst „{name}“ und „{sender}“. Bitte in den Einstellungen Firmenname, Absenderzeile und E-Mail-Absender eintragen.",
        "en": "⚠️ Sender identity not set up: contacts would read “{name}” and “{sender}”. Please set the company name, sender line and email sender in the settings.",
    },
    # --- API keys -------------------------------------------------------------------------
    "keys.intro": {
        "de": "Mit einem API-Schlüssel übergibt Ihre Hausverwaltungssoftware Stammdaten und Serienbriefe an briefwerk "
              "(`{url}api/v1/openapi.json`). Der Schlüssel wird nur einmal angezeigt.",
        "en": "With an API key your property-management software hands master data and serial letters to briefwerk "
              "(`{url}api/v1/openapi.json`). The key is shown only once.",
    },
    "keys.none": {"de": "Noch kein Schlüssel.", "en": "No key yet."},
    "keys.row": {
        "de": "*{name}* · `{prefix}…` · erstellt {created} · zuletzt benutzt {used}",
        "en": "*{name}* · `{prefix}…` · created {created} · last used {used}",
    },
    "keys.revoked_row": {"de": "~{name}~ · `{prefix}…` · widerrufen {revoked}", "en": "~{name}~ · `{prefix}…` · revoked {revoked}"},
    "keys.never": {"de": "nie", "en": "never"},
    "keys.name": {"de": "Name des neuen Schlüssels", "en": "Name of the new key"},
    "keys.name_placeholder": {"de": "z. B. ERP DOMUS", "en": "e.g. ERP DOMUS"},
    "keys.created": {
        "de": "🔑 Neuer Schlüssel *{name}* – jetzt kopieren, er wird nicht wieder angezeigt:\n```{token}```",
        "en": "🔑 New key *{name}* – copy it now, it is not shown again:\n```{token}```",
    },
    "keys.revoked": {"de": "Schlüssel *{name}* widerrufen.", "en": "Key *{name}* revoked."},
    "keys.revoke_confirm": {
        "de": "Programme mit diesem Schlüssel erhalten danach 401.", "en": "Programs using this key get 401 afterwards.",
    },
    "keys.admin_only": {"de": "API-Schlüssel verwalten nur Admins.", "en": "Only admins manage API keys."},
    # --- identity in the settings ---------------------------------------------------------
    "settings.org_name": {"de": "Firmenname (sehen Kontakte)", "en": "Company name (contacts see it)"},
    "settings.return_line": {"de": "Absenderzeile über dem Adressfeld", "en": "Sender line above the address window"},
    "settings.return_line_hint": {
        "de": "Erscheint auf Adressblättern, z. B. „Hausverwaltung Muster GmbH · Hauptstraße 1 · 10115 Berlin“.",
        "en": "Printed on address sheets, e.g. “Muster GmbH · Hauptstraße 1 · 10115 Berlin”.",
    },
    "settings.sender_name": {"de": "E-Mail-Absendername", "en": "Email sender name"},
    "settings.sender_email": {"de": "E-Mail-Absenderadresse", "en": "Email sender address"},
    "settings.reply_to": {"de": "Antwortadresse (Reply-To)", "en": "Reply-to address"},
    "settings.sender_hint": {
        "de": "Leer: der Firmenname. Die Adresse muss Ihr Mailserver versenden dürfen.",
        "en": "Empty: the company name. Your mail server must be allowed to send from the address.",
    },
}

CATALOG.update({f"ui.{key}": texts for key, texts in UI.items()})


def t(key: str, locale: str = "de", /, **facts: Any) -> str:
    return render(f"ui.{key}", locale, **facts)
