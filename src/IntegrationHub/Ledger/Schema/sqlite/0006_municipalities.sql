-- Ledger schema version 6: municipalities onboarded from files (their state and every applied version), smoke tests,
-- and rotated destination keys.
CREATE TABLE "DestinationKeys" (
    "DestinationId" TEXT NOT NULL,
    "Version" INTEGER NOT NULL,
    "Kid" TEXT NOT NULL,
    "CreatedAt" INTEGER NOT NULL,
    "CreatedBy" TEXT NOT NULL,
    "PreviousRetiresAt" INTEGER NULL,
    "RetiredAt" INTEGER NULL,
    CONSTRAINT "PK_DestinationKeys" PRIMARY KEY ("DestinationId", "Version")
);

CREATE TABLE "Municipalities" (
    "Ars" TEXT NOT NULL CONSTRAINT "PK_Municipalities" PRIMARY KEY,
    "Name" TEXT NOT NULL,
    "State" TEXT NOT NULL,
    "ActiveVersion" INTEGER NOT NULL,
    "DisabledReason" TEXT NULL,
    "UpdatedBy" TEXT NOT NULL,
    "UpdatedAt" INTEGER NOT NULL
);

CREATE TABLE "MunicipalityVersions" (
    "Id" INTEGER NOT NULL CONSTRAINT "PK_MunicipalityVersions" PRIMARY KEY AUTOINCREMENT,
    "Ars" TEXT NOT NULL,
    "Version" INTEGER NOT NULL,
    "Content" TEXT NOT NULL,
    "ContentSha256" TEXT NOT NULL,
    "Action" TEXT NOT NULL,
    "AppliedBy" TEXT NOT NULL,
    "AppliedAt" INTEGER NOT NULL,
    "Plan" TEXT NULL
);

CREATE TABLE "SmokeTests" (
    "Id" TEXT NOT NULL CONSTRAINT "PK_SmokeTests" PRIMARY KEY,
    "Ars" TEXT NOT NULL,
    "StartedBy" TEXT NOT NULL,
    "StartedAt" INTEGER NOT NULL,
    "FinishedAt" INTEGER NULL,
    "Outcome" TEXT NOT NULL,
    "Report" TEXT NOT NULL
);

CREATE UNIQUE INDEX "IX_DestinationKeys_Kid" ON "DestinationKeys" ("Kid");

CREATE UNIQUE INDEX "IX_MunicipalityVersions_Ars_Version" ON "MunicipalityVersions" ("Ars", "Version");

CREATE INDEX "IX_SmokeTests_Ars_StartedAt" ON "SmokeTests" ("Ars", "StartedAt");

