# Complaints: importing the tickets other hotline systems export.
cmpi-title = Import complaint tickets
cmpi-link = Import tickets
cmpi-back = Back to importing tickets
cmpi-triage = waiting for dispatch
cmpi-hint = Upload the tickets another hotline system (12345, 12315 …) exported, as XLSX or CSV, with the template's column names.
cmpi-template = Download the template
cmpi-rule-columns = Required: channel, date received, complaint text. A blank category is proposed from the text; a blank unit is routed by the dispatch catalogue, and a ticket it cannot route waits in the triage queue.
cmpi-rule-closed = A ticket the other system closed gives its closing date and finding (and the rating, if any): it is imported closed and counts in the figures.
cmpi-rule-again = A ticket number imported once for the same channel is not imported again.
cmpi-rule-refused = One refused row and nothing of the file is saved: the result page lists each row with its reason.
cmpi-file = File (XLSX or CSV)
cmpi-submit = Upload and import
