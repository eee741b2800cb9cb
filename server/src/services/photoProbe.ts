import exifr from 'exifr';
import { SHANGHAI_OFFSET_MS } from '@shared/domain/shanghaiTime';

/**
 * 现场照片 — inspects a photo uploaded as work-order evidence: what it really is (from its bytes,
 * never from the Content-Type the client claims) and what the camera recorded about where and
 * when it was taken (EXIF, read with exifr).
 */
export const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type PhotoMime = (typeof PHOTO_TYPES)[number];

export interface PhotoFacts {
  /** The type the bytes show (magic number), not the one the client declared. */
  mime: PhotoMime;
  /** EXIF GPS position as [lng, lat] WGS-84 (as the camera wrote it), if present and valid. */
  location?: [number, number];
  /**
   * EXIF DateTimeOriginal (or CreateDate) as epoch ms, if present. EXIF times carry no zone: the
   * matching OffsetTimeOriginal (OffsetTimeDigitized) is used when present and well formed,
   * otherwise the time is read as Asia/Shanghai local time (UTC+8, no DST), where the phones are.
   */
  takenAt?: number;
}

export type PhotoRejectReason = 'unsupported_type' | 'corrupt' | 'too_large' | 'empty';

/** A refused upload; `reason` is stable for clients, `message` is for people. */
export class PhotoRejected extends Error {
  constructor(
    readonly reason: PhotoRejectReason,
    message: string,
  ) {
    super(message);
    this.name = 'PhotoRejected';
  }
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function sniff(bytes: Buffer): PhotoMime | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'image/png';
  if (bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP')
    return 'image/webp';
  return undefined;
}

/**
 * Whether the container starts as its format requires. Deliberately shallow: a photo is evidence
 * even when damaged further in, so a JPEG only needs a marker after SOI (bad EXIF or a truncated
 * scan is still accepted); a PNG must open with its IHDR chunk, a WEBP with a VP8/VP8L/VP8X chunk.
 */
function startsWellFormed(bytes: Buffer, mime: PhotoMime): boolean {
  switch (mime) {
    case 'image/jpeg':
      return bytes.length > 3 && bytes[3] !== 0x00;
    case 'image/png':
      return (
        bytes.length >= 16 && bytes.readUInt32BE(8) === 13 && bytes.toString('latin1', 12, 16) === 'IHDR'
      );
    case 'image/webp':
      return ['VP8 ', 'VP8L', 'VP8X'].includes(bytes.toString('latin1', 12, 16));
  }
}

/** Declared types that say nothing about the content (multipart parts of untyped blobs). */
const UNDECLARED = new Set(['', 'application/octet-stream']);
/** Non-standard names some clients still send for JPEG. */
const JPEG_ALIASES = new Set(['image/jpg', 'image/pjpeg']);

function normaliseDeclared(declared: string | undefined): string | undefined {
  const type = (declared ?? '').split(';')[0]!.trim().toLowerCase();
  if (UNDECLARED.has(type)) return undefined;
  return JPEG_ALIASES.has(type) ? 'image/jpeg' : type;
}

/**
 * Sniff the real type from the bytes (JPEG FF D8 FF, PNG 89 50 4E 47 0D 0A 1A 0A, WEBP
 * 'RIFF'....'WEBP'), refuse anything else whatever the declared Content-Type says, refuse a
 * declared type that disagrees with the bytes (an absent or `application/octet-stream` type
 * declares nothing), refuse more than `maxBytes` and empty bodies, then read EXIF. EXIF that is
 * missing or unreadable gives no facts but does not refuse the photo.
 */
export async function probePhoto(
  bytes: Buffer,
  declaredMime: string | undefined,
  maxBytes: number,
): Promise<PhotoFacts> {
  if (bytes.length === 0) throw new PhotoRejected('empty', 'The photo is empty.');
  if (bytes.length > maxBytes) {
    throw new PhotoRejected(
      'too_large',
      `The photo is ${bytes.length} bytes; at most ${maxBytes} are accepted.`,
    );
  }
  const mime = sniff(bytes);
  if (!mime) throw new PhotoRejected('unsupported_type', 'Only JPEG, PNG and WEBP photos are accepted.');
  const declared = normaliseDeclared(declaredMime);
  if (declared !== undefined && declared !== mime) {
    throw new PhotoRejected(
      'unsupported_type',
      `The photo is declared as ${declared} but its bytes are ${mime}.`,
    );
  }
  if (!startsWellFormed(bytes, mime)) throw new PhotoRejected('corrupt', `The ${mime} photo is malformed.`);

  const tags = await readExif(bytes, mime);
  const facts: PhotoFacts = { mime };
  const location = tags && locationOf(tags);
  if (location) facts.location = location;
  const takenAt =
    tags &&
    (exifTime(tags.DateTimeOriginal, tags.OffsetTimeOriginal) ??
      exifTime(tags.CreateDate, tags.OffsetTimeDigitized));
  if (takenAt !== undefined) facts.takenAt = takenAt;
  return facts;
}

/** The EXIF tags probePhoto reads, as exifr names them. */
const EXIF_TAGS = [
  'DateTimeOriginal',
  'OffsetTimeOriginal',
  'CreateDate',
  'OffsetTimeDigitized',
  'GPSLatitudeRef',
  'GPSLatitude',
  'GPSLongitudeRef',
  'GPSLongitude',
] as const;
type ExifTags = Partial<Record<(typeof EXIF_TAGS)[number], unknown>>;

async function readExif(bytes: Buffer, mime: PhotoMime): Promise<ExifTags | undefined> {
  // exifr reads no EXIF from WEBP (it refuses the format).
  if (mime === 'image/webp') return undefined;
  try {
    // reviveValues: false keeps dates as the camera's strings; revived, they would be Dates built
    // in the process's time zone.
    const out: unknown = await exifr.parse(bytes, { pick: [...EXIF_TAGS], reviveValues: false });
    return typeof out === 'object' && out !== null ? (out as ExifTags) : undefined;
  } catch {
    return undefined; // unreadable metadata: the photo still counts, without facts
  }
}

/** Decimal degrees from EXIF degrees/minutes/seconds; negative for the `negative` hemisphere ref. */
function degrees(dms: unknown, ref: unknown, positive: string, negative: string): number | undefined {
  if (!(Array.isArray(dms) || ArrayBuffer.isView(dms))) return undefined;
  const [d, m, s] = Array.from(dms as ArrayLike<unknown>);
  if (typeof d !== 'number' || typeof m !== 'number' || typeof s !== 'number') return undefined;
  const value = d + m / 60 + s / 3600;
  if (!Number.isFinite(value) || d < 0 || m < 0 || s < 0) return undefined;
  // Without its ref a coordinate could be in either hemisphere: not a position at all.
  const hemisphere = typeof ref === 'string' ? ref.trim().toUpperCase() : undefined;
  if (hemisphere === positive) return value;
  if (hemisphere === negative) return -value;
  return undefined;
}

function locationOf(tags: ExifTags): [number, number] | undefined {
  const lat = degrees(tags.GPSLatitude, tags.GPSLatitudeRef, 'N', 'S');
  const lng = degrees(tags.GPSLongitude, tags.GPSLongitudeRef, 'E', 'W');
  if (lat === undefined || lng === undefined) return undefined;
  if (Math.abs(lat) > 90 || Math.abs(lng) > 180) return undefined;
  // 0/0 is what cameras write when they had no fix.
  if (lat === 0 && lng === 0) return undefined;
  return [lng, lat];
}

const EXIF_DATE_TIME = /^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})/;
const EXIF_OFFSET = /^([+-])(\d{2}):(\d{2})$/;

/** Offset from UTC in ms of an EXIF OffsetTime* value ('+08:00'), if well formed. */
function offsetMs(value: unknown): number | undefined {
  const match = typeof value === 'string' ? EXIF_OFFSET.exec(value.trim()) : null;
  if (!match) return undefined;
  const [, sign, hh, mm] = match;
  const minutes = Number(hh) * 60 + Number(mm);
  if (Number(mm) >= 60 || minutes > 14 * 60) return undefined;
  return (sign === '-' ? -1 : 1) * minutes * 60_000;
}

/** Epoch ms of an EXIF 'YYYY:MM:DD HH:MM:SS' wall time in the zone `offset` names (default Shanghai). */
function exifTime(value: unknown, offset: unknown): number | undefined {
  const match = typeof value === 'string' ? EXIF_DATE_TIME.exec(value.trim()) : null;
  if (!match) return undefined;
  const [y, mo, d, h, mi, s] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(wall);
  // Date.UTC rolls 02-30 over into March and 24:00 into the next day; such a value is no date.
  // Blank dates ('0000:00:00 00:00:00', written by cameras without a clock) fail here too.
  if (
    check.getUTCFullYear() !== y ||
    check.getUTCMonth() !== mo - 1 ||
    check.getUTCDate() !== d ||
    check.getUTCHours() !== h ||
    check.getUTCMinutes() !== mi ||
    check.getUTCSeconds() !== s
  ) {
    return undefined;
  }
  return wall - (offsetMs(offset) ?? SHANGHAI_OFFSET_MS);
}
