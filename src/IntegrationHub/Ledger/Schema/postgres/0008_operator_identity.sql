-- Ledger schema version 8: operators by a stable identity (scheme and subject) besides their display name, so four-eyes
-- and "their own" retry batches and audit entries do not rest on names two people may share.
ALTER TABLE "MessageEdits" ADD COLUMN "ProposedById" text;
ALTER TABLE "RetryBatches" ADD COLUMN "RequestedById" text;
ALTER TABLE "OperatorAudit" ADD COLUMN "ActorId" text;
