-- Ledger schema version 2: a delivery is one step of several per target (handover, filing, postbox, event),
-- submissions know where they came from and their citizen-facing status, procedures' status reports are kept.
ALTER TABLE "Deliveries" ADD COLUMN "Step" TEXT NOT NULL DEFAULT 'handover';
ALTER TABLE "Deliveries" ADD COLUMN "Sequence" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Deliveries" ADD COLUMN "Payload" TEXT NULL;
ALTER TABLE "Deliveries" ADD COLUMN "Reference" TEXT NULL;
DROP INDEX "IX_Deliveries_SubmissionId_Target";
CREATE UNIQUE INDEX "IX_Deliveries_SubmissionId_Target_Step" ON "Deliveries" ("SubmissionId", "Target", "Step");

ALTER TABLE "Submissions" ADD COLUMN "Origin" TEXT NULL;
ALTER TABLE "Submissions" ADD COLUMN "CitizenStatus" TEXT NULL;

CREATE TABLE "StatusReports" (
    "Id" INTEGER NOT NULL CONSTRAINT "PK_StatusReports" PRIMARY KEY AUTOINCREMENT,
    "SubmissionId" TEXT NOT NULL,
    "Source" TEXT NOT NULL,
    "Sequence" INTEGER NOT NULL,
    "Status" TEXT NOT NULL,
    "OccurredAt" INTEGER NOT NULL,
    "ReceivedAt" INTEGER NOT NULL,
    "Applied" INTEGER NOT NULL,
    "Deadline" INTEGER NULL,
    "DocumentBlob" TEXT NULL,
    "DocumentName" TEXT NULL,
    "DocumentMimeType" TEXT NULL
);

CREATE UNIQUE INDEX "IX_StatusReports_SubmissionId_Source_Sequence" ON "StatusReports" ("SubmissionId", "Source", "Sequence");
