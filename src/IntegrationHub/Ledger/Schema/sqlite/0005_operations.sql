-- Ledger schema version 5: the operations console (failed messages and their history, retry batches, edits awaiting approval,
-- the operator audit log), redirected deliveries, operator edits of an application and the retention of personal data.
ALTER TABLE "Deliveries" ADD COLUMN "RedirectedTo" TEXT NULL;
ALTER TABLE "Submissions" ADD COLUMN "PayloadsDeletedAt" INTEGER NULL;
ALTER TABLE "Submissions" ADD COLUMN "DataEditId" TEXT NULL;

CREATE TABLE "FailedMessageEvents" (
    "Id" INTEGER NOT NULL CONSTRAINT "PK_FailedMessageEvents" PRIMARY KEY AUTOINCREMENT,
    "FailedMessageId" TEXT NOT NULL,
    "At" INTEGER NOT NULL,
    "Action" TEXT NOT NULL,
    "Actor" TEXT NULL,
    "Detail" TEXT NULL
);

CREATE TABLE "FailedMessages" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_FailedMessages" PRIMARY KEY,
    "MessageId" TEXT NOT NULL,
    "Source" TEXT NOT NULL,
    "MessageType" TEXT NOT NULL,
    "Endpoint" TEXT NOT NULL,
    "Consumer" TEXT NULL,
    "Ars" TEXT NULL,
    "Target" TEXT NULL,
    "SubmissionId" TEXT NULL,
    "DeliveryId" TEXT NULL,
    "ExceptionType" TEXT NOT NULL,
    "ExceptionMessage" TEXT NULL,
    "StackTrace" TEXT NULL,
    "Fingerprint" TEXT NOT NULL,
    "Body" TEXT NOT NULL,
    "Headers" TEXT NOT NULL,
    "FirstFailedAt" INTEGER NOT NULL,
    "LastFailedAt" INTEGER NOT NULL,
    "FailureCount" INTEGER NOT NULL,
    "Status" TEXT NOT NULL,
    "RetryBatchId" TEXT NULL,
    "UpdatedAt" INTEGER NOT NULL,
    "ResolvedAt" INTEGER NULL
);

CREATE TABLE "MessageEdits" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_MessageEdits" PRIMARY KEY,
    "FailedMessageId" TEXT NOT NULL,
    "SubmissionId" TEXT NULL,
    "ProposedBy" TEXT NOT NULL,
    "ProposedAt" INTEGER NOT NULL,
    "Reason" TEXT NOT NULL,
    "EditedDataBlob" TEXT NULL,
    "EditedDataSha512" TEXT NULL,
    "EditedHeaders" TEXT NULL,
    "Status" TEXT NOT NULL,
    "DecidedBy" TEXT NULL,
    "DecidedAt" INTEGER NULL,
    "DecisionNote" TEXT NULL
);

CREATE TABLE "OperatorAudit" (
    "Id" INTEGER NOT NULL CONSTRAINT "PK_OperatorAudit" PRIMARY KEY AUTOINCREMENT,
    "At" INTEGER NOT NULL,
    "Actor" TEXT NOT NULL,
    "Role" TEXT NOT NULL,
    "Action" TEXT NOT NULL,
    "Subject" TEXT NOT NULL,
    "Count" INTEGER NOT NULL,
    "Detail" TEXT NULL
);

CREATE TABLE "RetryBatches" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_RetryBatches" PRIMARY KEY,
    "CreatedAt" INTEGER NOT NULL,
    "RequestedBy" TEXT NOT NULL,
    "Selection" TEXT NOT NULL,
    "RedirectTo" TEXT NULL,
    "Total" INTEGER NOT NULL,
    "Issued" INTEGER NOT NULL,
    "Skipped" INTEGER NOT NULL,
    "Status" TEXT NOT NULL,
    "Error" TEXT NULL,
    "UpdatedAt" INTEGER NOT NULL,
    "CompletedAt" INTEGER NULL
);

CREATE INDEX "IX_FailedMessageEvents_FailedMessageId" ON "FailedMessageEvents" ("FailedMessageId");

CREATE INDEX "IX_FailedMessages_Fingerprint_Status" ON "FailedMessages" ("Fingerprint", "Status");

CREATE UNIQUE INDEX "IX_FailedMessages_MessageId" ON "FailedMessages" ("MessageId");

CREATE INDEX "IX_FailedMessages_RetryBatchId" ON "FailedMessages" ("RetryBatchId");

CREATE INDEX "IX_FailedMessages_Status_LastFailedAt" ON "FailedMessages" ("Status", "LastFailedAt");

CREATE INDEX "IX_FailedMessages_SubmissionId" ON "FailedMessages" ("SubmissionId");

CREATE INDEX "IX_MessageEdits_FailedMessageId" ON "MessageEdits" ("FailedMessageId");

CREATE INDEX "IX_OperatorAudit_At" ON "OperatorAudit" ("At");

CREATE INDEX "IX_RetryBatches_Status_CreatedAt" ON "RetryBatches" ("Status", "CreatedAt");
