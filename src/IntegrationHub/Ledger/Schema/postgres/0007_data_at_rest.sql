-- Ledger schema version 7: data keys for data at rest, one per municipality, stored wrapped under the master key.
CREATE TABLE "DataKeys" (
    "Ars" character varying(12) NOT NULL,
    "Version" integer NOT NULL,
    "WrappedKey" text NOT NULL,
    "CreatedAt" timestamp with time zone NOT NULL,
    CONSTRAINT "PK_DataKeys" PRIMARY KEY ("Ars", "Version")
);
