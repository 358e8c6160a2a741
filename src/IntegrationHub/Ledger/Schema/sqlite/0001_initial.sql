-- Ledger schema version 1: submissions, attachments, history, deliveries, case events.
-- Versioned scripts are applied in order by LedgerSchema at start-up or by 'IntegrationHub.Host migrate'.
CREATE TABLE "CaseEvents" (
    "Id" INTEGER NOT NULL CONSTRAINT "PK_CaseEvents" PRIMARY KEY AUTOINCREMENT,
    "CaseId" TEXT NOT NULL,
    "SubmissionId" TEXT NOT NULL,
    "EventUri" TEXT NOT NULL,
    "Token" TEXT NOT NULL,
    "IssuedAt" INTEGER NOT NULL
);

CREATE TABLE "Deliveries" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_Deliveries" PRIMARY KEY,
    "SubmissionId" TEXT NOT NULL,
    "Ars" TEXT NOT NULL,
    "Target" TEXT NOT NULL,
    "Status" TEXT NOT NULL,
    "IdempotencyKey" TEXT NOT NULL,
    "Aktenzeichen" TEXT NULL,
    "Attempts" INTEGER NOT NULL,
    "LastError" TEXT NULL,
    "CreatedAt" INTEGER NOT NULL,
    "UpdatedAt" INTEGER NOT NULL,
    "NextAttemptAt" INTEGER NULL,
    "DeliveredAt" INTEGER NULL
);

CREATE TABLE "History" (
    "Id" INTEGER NOT NULL CONSTRAINT "PK_History" PRIMARY KEY AUTOINCREMENT,
    "SubmissionId" TEXT NOT NULL,
    "At" INTEGER NOT NULL,
    "Step" TEXT NOT NULL,
    "Target" TEXT NULL,
    "Detail" TEXT NULL
);

CREATE TABLE "SubmissionAttachments" (
    "SubmissionId" TEXT NOT NULL,
    "AttachmentId" TEXT NOT NULL,
    "SizeBytes" INTEGER NOT NULL,
    "AuthenticationTag" TEXT NOT NULL,
    "UploadedAt" INTEGER NOT NULL,
    CONSTRAINT "PK_SubmissionAttachments" PRIMARY KEY ("SubmissionId", "AttachmentId")
);

CREATE TABLE "Submissions" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_Submissions" PRIMARY KEY,
    "CaseId" TEXT NOT NULL,
    "DestinationId" TEXT NOT NULL,
    "Ars" TEXT NOT NULL,
    "SenderClientId" TEXT NOT NULL,
    "LeikaKey" TEXT NOT NULL,
    "ServiceName" TEXT NOT NULL,
    "Status" TEXT NOT NULL,
    "AnnouncedAttachments" TEXT NOT NULL,
    "MetadataTag" TEXT NULL,
    "DataTag" TEXT NULL,
    "ProblemType" TEXT NULL,
    "ProblemDetail" TEXT NULL,
    "CreatedAt" INTEGER NOT NULL,
    "SubmittedAt" INTEGER NULL,
    "DecidedAt" INTEGER NULL,
    "RoutedAt" INTEGER NULL,
    "UpdatedAt" INTEGER NOT NULL,
    "ProcessingFault" TEXT NULL
);

CREATE INDEX "IX_CaseEvents_CaseId" ON "CaseEvents" ("CaseId");

CREATE UNIQUE INDEX "IX_CaseEvents_SubmissionId_EventUri" ON "CaseEvents" ("SubmissionId", "EventUri");

CREATE INDEX "IX_Deliveries_Aktenzeichen" ON "Deliveries" ("Aktenzeichen");

CREATE INDEX "IX_Deliveries_Status_NextAttemptAt" ON "Deliveries" ("Status", "NextAttemptAt");

CREATE UNIQUE INDEX "IX_Deliveries_SubmissionId_Target" ON "Deliveries" ("SubmissionId", "Target");

CREATE INDEX "IX_History_SubmissionId" ON "History" ("SubmissionId");

CREATE UNIQUE INDEX "IX_Submissions_CaseId" ON "Submissions" ("CaseId");

CREATE INDEX "IX_Submissions_Status_UpdatedAt" ON "Submissions" ("Status", "UpdatedAt");

