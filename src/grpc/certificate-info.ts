import { CertificateRecord } from '../store/store';

/** The G-SDK CertificateInfo shape, shared by the Tenant and Gateway services (dates as Unix seconds). */
export function certificateInfo(record: CertificateRecord) {
  return {
    subject: record.subject,
    serialNO: record.serial,
    issueDate: BigInt(record.issuedAt),
    expiryDate: BigInt(record.expiresAt),
    blacklisted: record.blacklisted,
  };
}
