-- Ledger schema version 4: asynchronous evidence requests (once-only), worked with retries until the callback took the result.
CREATE TABLE "EvidenceRequests" (
    "Id" uuid NOT NULL,
    "ClientId" text NOT NULL,
    "Ars" text NOT NULL,
    "EvidenceType" text NOT NULL,
    "CallbackUrl" text NOT NULL,
    "Status" character varying(16) NOT NULL,
    "Outcome" text,
    "ReasonCode" text,
    "Attempts" integer NOT NULL,
    "CallbackAttempts" integer NOT NULL,
    "ProtectedRequest" text,
    "ProtectedResult" text,
    "CreatedAt" timestamp with time zone NOT NULL,
    "UpdatedAt" timestamp with time zone NOT NULL,
    "NextAttemptAt" timestamp with time zone,
    "DeliveredAt" timestamp with time zone,
    CONSTRAINT "PK_EvidenceRequests" PRIMARY KEY ("Id")
);

CREATE INDEX "IX_EvidenceRequests_Status_NextAttemptAt" ON "EvidenceRequests" ("Status", "NextAttemptAt");
