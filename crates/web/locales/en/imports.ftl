# The import queue: a registry file's progress and outcome.
import-choose-file = Please choose a file to import (Excel or CSV).
import-queued = Waiting to be imported: { $n } files ahead of it.
import-running = Importing: { $rows } rows read so far.
import-refresh-note = This page refreshes itself every 2 seconds. You may leave it: the import goes on in the background; see the result here or under "Recent imports" later.
import-file = File
import-queued-at = sent at
import-recent = Recent imports
import-state-queued = waiting
import-state-running = importing
import-state-done = done, { $n } rows imported
import-state-failed = not imported
import-unknown-kind = Files of this kind cannot be imported.
