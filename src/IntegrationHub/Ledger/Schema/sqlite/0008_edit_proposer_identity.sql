-- Ledger schema version 8: who proposed an edit by a stable identity (scheme and subject), so four-eyes does not rest on display names.
ALTER TABLE "MessageEdits" ADD COLUMN "ProposedById" TEXT;
