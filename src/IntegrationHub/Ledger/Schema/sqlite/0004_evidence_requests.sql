-- Ledger schema version 4: asynchronous evidence requests (once-only), worked with retries until the callback took the result.
CREATE TABLE "EvidenceRequests" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_EvidenceRequests" PRIMARY KEY,
    "ClientId" TEXT NOT NULL,
    "Ars" TEXT NOT NULL,
    "EvidenceType" TEXT NOT NULL,
    "CallbackUrl" TEXT NOT NULL,
    "Status" TEXT NOT NULL,
    "Outcome" TEXT NULL,
    "ReasonCode" TEXT NULL,
    "Attempts" INTEGER NOT NULL,
    "CallbackAttempts" INTEGER NOT NULL,
    "ProtectedRequest" TEXT NULL,
    "ProtectedResult" TEXT NULL,
    "CreatedAt" INTEGER NOT NULL,
    "UpdatedAt" INTEGER NOT NULL,
    "NextAttemptAt" INTEGER NULL,
    "DeliveredAt" INTEGER NULL
);

CREATE INDEX "IX_EvidenceRequests_Status_NextAttemptAt" ON "EvidenceRequests" ("Status", "NextAttemptAt");
