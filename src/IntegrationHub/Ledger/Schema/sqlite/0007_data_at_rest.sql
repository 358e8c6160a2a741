-- Ledger schema version 7: data keys for data at rest, one per municipality, stored wrapped under the master key.
CREATE TABLE "DataKeys" (
    "Ars" TEXT NOT NULL,
    "Version" INTEGER NOT NULL,
    "WrappedKey" TEXT NOT NULL,
    "CreatedAt" INTEGER NOT NULL,
    CONSTRAINT "PK_DataKeys" PRIMARY KEY ("Ars", "Version")
);
