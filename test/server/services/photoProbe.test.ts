import type * as Exifr from 'exifr';
import { describe, expect, it, vi } from 'vitest';
import { PhotoRejected, probePhoto } from '../../../server/src/services/photoProbe';
import { jpegWithExif, tinyJpeg, tinyPng, tinyWebp } from '../../fixtures/jpegWithExif';

/** The real exifr, except that it throws on its next parse when a test sets `failNext`. */
const exifrControl = vi.hoisted(() => ({ failNext: false }));
vi.mock('exifr', async (importOriginal) => {
  const actual = await importOriginal<typeof Exifr>();
  const parse: typeof actual.parse = (...args) => {
    if (!exifrControl.failNext) return actual.default.parse(...args);
    exifrControl.failNext = false;
    return Promise.reject(new Error('Unknown file format'));
  };
  return { ...actual, parse, default: { ...actual.default, parse } };
});

const MAX = 1_000_000;
const HOUR = 3_600_000;
/** People's Square, Shanghai. */
const LNG = 121.473701;
const LAT = 31.230416;

async function rejection(probe: Promise<unknown>): Promise<PhotoRejected> {
  const error = await probe.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof PhotoRejected)) throw new Error(`expected a PhotoRejected, got ${String(error)}`);
  return error;
}

describe('probePhoto: EXIF facts', () => {
  it('reads the GPS position as [lng, lat] and the time the photo was taken', async () => {
    const photo = jpegWithExif({
      lng: LNG,
      lat: LAT,
      dateTimeOriginal: '2026:03:14 09:26:53',
      offsetTimeOriginal: '+08:00',
    });
    const facts = await probePhoto(photo, 'image/jpeg', MAX);
    expect(facts.mime).toBe('image/jpeg');
    expect(facts.location?.[0]).toBeCloseTo(LNG, 6);
    expect(facts.location?.[1]).toBeCloseTo(LAT, 6);
    expect(facts.takenAt).toBe(Date.UTC(2026, 2, 14, 1, 26, 53));
  });

  it('makes southern latitudes and western longitudes negative', async () => {
    const facts = await probePhoto(jpegWithExif({ lng: -73.985428, lat: -33.856784 }), 'image/jpeg', MAX);
    expect(facts.location?.[0]).toBeCloseTo(-73.985428, 6);
    expect(facts.location?.[1]).toBeCloseTo(-33.856784, 6);
  });

  it('reports only the type for a JPEG without EXIF', async () => {
    expect(await probePhoto(tinyJpeg(), 'image/jpeg', MAX)).toEqual({ mime: 'image/jpeg' });
  });

  it('reports only the type for a JPEG whose EXIF holds neither position nor time', async () => {
    expect(await probePhoto(jpegWithExif({}), 'image/jpeg', MAX)).toEqual({ mime: 'image/jpeg' });
  });

  it('reads a time without a zone as Asia/Shanghai local time', async () => {
    const facts = await probePhoto(jpegWithExif({ dateTimeOriginal: '2026:03:14 09:26:53' }), undefined, MAX);
    expect(facts.takenAt).toBe(Date.UTC(2026, 2, 14, 9, 26, 53) - 8 * HOUR);
  });

  it('reads the time in the zone OffsetTimeOriginal gives', async () => {
    const photo = jpegWithExif({ dateTimeOriginal: '2026:03:14 09:26:53', offsetTimeOriginal: '-05:00' });
    const facts = await probePhoto(photo, undefined, MAX);
    expect(facts.takenAt).toBe(Date.UTC(2026, 2, 14, 9, 26, 53) + 5 * HOUR);
  });

  it('falls back to Asia/Shanghai when OffsetTimeOriginal is malformed', async () => {
    const photo = jpegWithExif({ dateTimeOriginal: '2026:03:14 09:26:53', offsetTimeOriginal: '  :  ' });
    const facts = await probePhoto(photo, undefined, MAX);
    expect(facts.takenAt).toBe(Date.UTC(2026, 2, 14, 9, 26, 53) - 8 * HOUR);
  });

  it('gives the same time whatever time zone the server process runs in', async () => {
    const photo = jpegWithExif({ dateTimeOriginal: '2026:07:01 23:30:00' });
    const expected = Date.UTC(2026, 6, 1, 23, 30, 0) - 8 * HOUR;
    const original = process.env.TZ;
    try {
      for (const zone of ['America/Los_Angeles', 'Asia/Kolkata', 'UTC']) {
        process.env.TZ = zone;
        // Proves the zone change took hold; otherwise this test would prove nothing.
        expect(new Date(Date.UTC(2026, 6, 1)).getTimezoneOffset()).toBe(
          { 'America/Los_Angeles': 420, 'Asia/Kolkata': -330, UTC: 0 }[zone],
        );
        expect((await probePhoto(photo, undefined, MAX)).takenAt).toBe(expected);
      }
    } finally {
      process.env.TZ = original;
    }
  });

  it('uses CreateDate and OffsetTimeDigitized when DateTimeOriginal is absent', async () => {
    const photo = jpegWithExif({ createDate: '2026:03:14 09:26:53', offsetTimeDigitized: '+09:00' });
    const facts = await probePhoto(photo, undefined, MAX);
    expect(facts.takenAt).toBe(Date.UTC(2026, 2, 14, 0, 26, 53));
  });

  it('prefers DateTimeOriginal over CreateDate', async () => {
    const photo = jpegWithExif({
      dateTimeOriginal: '2026:03:14 09:26:53',
      createDate: '2026:03:15 10:00:00',
    });
    const facts = await probePhoto(photo, undefined, MAX);
    expect(facts.takenAt).toBe(Date.UTC(2026, 2, 14, 1, 26, 53));
  });

  it.each(['0000:00:00 00:00:00', '2026:02:30 10:00:00', '2026:03:14 24:00:00', 'yesterday', ''])(
    'drops the impossible time %j',
    async (dateTimeOriginal) => {
      const facts = await probePhoto(jpegWithExif({ dateTimeOriginal, lng: LNG, lat: LAT }), undefined, MAX);
      expect(facts.takenAt).toBeUndefined();
      expect(facts.location).toBeDefined();
    },
  );

  it.each([
    { case: 'latitude beyond 90°', lng: LNG, lat: 95 },
    { case: 'longitude beyond 180°', lng: 190, lat: LAT },
    { case: '0/0, written without a fix', lng: 0, lat: 0 },
    { case: 'a latitude alone', lat: LAT },
    { case: 'a longitude alone', lng: LNG },
  ])('drops the GPS position with $case', async ({ lng, lat }) => {
    const photo = jpegWithExif({ lng, lat, dateTimeOriginal: '2026:03:14 09:26:53' });
    const facts = await probePhoto(photo, undefined, MAX);
    expect(facts.location).toBeUndefined();
    expect(facts.takenAt).toBe(Date.UTC(2026, 2, 14, 1, 26, 53));
  });

  it('keeps a position on the equator or the prime meridian', async () => {
    const facts = await probePhoto(jpegWithExif({ lng: 0, lat: 51.477928 }), undefined, MAX);
    expect(facts.location?.[0]).toBe(0);
    expect(facts.location?.[1]).toBeCloseTo(51.477928, 6);
  });

  describe('accepts a JPEG whose EXIF is corrupt, without facts', () => {
    const good = () => jpegWithExif({ lng: LNG, lat: LAT, dateTimeOriginal: '2026:03:14 09:26:53' });
    /** Where the TIFF header starts: SOI, APP1 marker and length, 'Exif\0\0'. */
    const TIFF = 2 + 4 + 6;
    const corruptions: [string, (b: Buffer) => void][] = [
      ['an unknown byte order', (b) => b.write('XX', TIFF, 'latin1')],
      ['IFD0 pointing past the end', (b) => b.writeUInt32LE(0xfffffff0, TIFF + 4)],
      ['the TIFF block overwritten with noise', (b) => b.fill(0xa5, TIFF, TIFF + 40)],
    ];
    it.each(corruptions)('with %s', async (_name, corrupt) => {
      const photo = good();
      corrupt(photo);
      expect(await probePhoto(photo, 'image/jpeg', MAX)).toEqual({ mime: 'image/jpeg' });
    });

    it('with an APP1 segment longer than the file', async () => {
      const photo = good().subarray(0, 60);
      expect(await probePhoto(photo, 'image/jpeg', MAX)).toEqual({ mime: 'image/jpeg' });
    });

    it('when the EXIF reader throws', async () => {
      exifrControl.failNext = true;
      expect(await probePhoto(good(), 'image/jpeg', MAX)).toEqual({ mime: 'image/jpeg' });
      expect(exifrControl.failNext).toBe(false);
    });
  });
});

describe('probePhoto: what is accepted', () => {
  it('accepts a PNG and a WEBP, which carry no facts', async () => {
    expect(await probePhoto(tinyPng(), 'image/png', MAX)).toEqual({ mime: 'image/png' });
    expect(await probePhoto(tinyWebp(), 'image/webp', MAX)).toEqual({ mime: 'image/webp' });
  });

  it.each([
    undefined,
    '',
    'application/octet-stream',
    'IMAGE/JPEG; charset=binary',
    'image/jpg',
    'image/pjpeg',
  ])('takes a JPEG declared as %j by its bytes', async (declared) => {
    expect(await probePhoto(tinyJpeg(), declared, MAX)).toEqual({ mime: 'image/jpeg' });
  });

  it('accepts a photo of exactly maxBytes', async () => {
    const photo = tinyJpeg();
    expect(await probePhoto(photo, 'image/jpeg', photo.length)).toEqual({ mime: 'image/jpeg' });
  });

  it.each([
    ['a JPEG declared as PNG', tinyJpeg(), 'image/png'],
    ['a PNG declared as JPEG', tinyPng(), 'image/jpeg'],
    ['a WEBP declared as PNG', tinyWebp(), 'image/png'],
    ['a JPEG declared as HTML', tinyJpeg(), 'text/html'],
  ])('refuses %s as unsupported_type', async (_name, photo, declared) => {
    expect((await rejection(probePhoto(photo, declared, MAX))).reason).toBe('unsupported_type');
  });

  it.each([
    ['HTML', Buffer.from('<!doctype html><html><body>hi</body></html>'), 'image/jpeg'],
    ['PDF', Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n'), 'image/jpeg'],
    ['plain text', Buffer.from('just some words'), undefined],
    ['a GIF', Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'), 'image/gif'],
    ['a RIFF WAVE', Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'), 'image/webp'],
  ])('refuses %s bytes as unsupported_type whatever the declared type', async (_name, bytes, declared) => {
    expect((await rejection(probePhoto(bytes, declared, MAX))).reason).toBe('unsupported_type');
  });

  it('refuses a photo over maxBytes as too_large', async () => {
    const photo = tinyJpeg();
    expect((await rejection(probePhoto(photo, 'image/jpeg', photo.length - 1))).reason).toBe('too_large');
  });

  it('refuses an empty body as empty', async () => {
    expect((await rejection(probePhoto(Buffer.alloc(0), 'image/jpeg', MAX))).reason).toBe('empty');
  });

  it.each([
    ['a JPEG that stops after its magic number', Buffer.from([0xff, 0xd8, 0xff])],
    [
      'a PNG signature without IHDR',
      Buffer.concat([tinyPng().subarray(0, 8), Buffer.from('0000000049454e44ae426082', 'hex')]),
    ],
    ['a WEBP without a VP8 chunk', Buffer.from('RIFF\x0c\x00\x00\x00WEBPJUNK\x00\x00\x00\x00', 'latin1')],
  ])('refuses %s as corrupt', async (_name, bytes) => {
    expect((await rejection(probePhoto(bytes, undefined, MAX))).reason).toBe('corrupt');
  });
});
