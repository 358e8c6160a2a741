-- Ledger schema version 3: the access protocol of evidence lookups, an append-only hash chain (OnceOnly/Protocol).
CREATE TABLE "AccessProtocol" (
    "Sequence" bigint NOT NULL,
    "At" timestamp with time zone NOT NULL,
    "RequestId" uuid NOT NULL,
    "RequesterArs" text NOT NULL,
    "RequesterAuthority" text NOT NULL,
    "RequesterProcedure" text NOT NULL,
    "PersonPseudonym" text NOT NULL,
    "EvidenceType" text NOT NULL,
    "Purpose" text NOT NULL,
    "LegalBasis" text,
    "ConsentReference" text,
    "Outcome" text NOT NULL,
    "ReasonCode" text,
    "Provider" text,
    "PreviousHash" text NOT NULL,
    "Hash" text NOT NULL,
    CONSTRAINT "PK_AccessProtocol" PRIMARY KEY ("Sequence")
);

CREATE INDEX "IX_AccessProtocol_At" ON "AccessProtocol" ("At");

CREATE INDEX "IX_AccessProtocol_PersonPseudonym_Sequence" ON "AccessProtocol" ("PersonPseudonym", "Sequence");
