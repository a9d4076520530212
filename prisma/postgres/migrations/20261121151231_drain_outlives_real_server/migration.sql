-- DropForeignKey
ALTER TABLE "RealServerDrain" DROP CONSTRAINT "RealServerDrain_realServerId_fkey";

