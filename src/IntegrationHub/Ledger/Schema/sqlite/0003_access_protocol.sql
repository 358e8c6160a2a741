-- Ledger schema version 3: the access protocol of evidence lookups, an append-only hash chain (OnceOnly/Protocol).
CREATE TABLE "AccessProtocol" (
    "Sequence" INTEGER NOT NULL CONSTRAINT "PK_AccessProtocol" PRIMARY KEY,
    "At" INTEGER NOT NULL,
    "RequestId" TEXT NOT NULL,
    "RequesterArs" TEXT NOT NULL,
    "RequesterAuthority" TEXT NOT NULL,
    "RequesterProcedure" TEXT NOT NULL,
    "PersonPseudonym" TEXT NOT NULL,
    "EvidenceType" TEXT NOT NULL,
    "Purpose" TEXT NOT NULL,
    "LegalBasis" TEXT NULL,
    "ConsentReference" TEXT NULL,
    "Outcome" TEXT NOT NULL,
    "ReasonCode" TEXT NULL,
    "Provider" TEXT NULL,
    "PreviousHash" TEXT NOT NULL,
    "Hash" TEXT NOT NULL
);

CREATE INDEX "IX_AccessProtocol_At" ON "AccessProtocol" ("At");

CREATE INDEX "IX_AccessProtocol_PersonPseudonym_Sequence" ON "AccessProtocol" ("PersonPseudonym", "Sequence");
