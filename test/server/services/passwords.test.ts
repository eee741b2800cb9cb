import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generatePassword, hashPassword, verifyPassword } from '../../../server/src/services/passwords';
import { PasswordSchema } from '../../../shared/schemas/auth.schema';

/** The documented alphabet: letters and digits without the look-alikes i l o I L O 0 1. */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789';
const GENERATED = /^[a-hjkmnp-zA-HJKMNP-Z2-9]{5}(-[a-hjkmnp-zA-HJKMNP-Z2-9]{5}){3}$/;
const B64URL = '[A-Za-z0-9_-]';

describe('hashPassword and verifyPassword', () => {
  it('verifies the password that was hashed', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
  });

  it('rejects a different password', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(await verifyPassword('correct horse battery stapler', stored)).toBe(false);
  });

  it('stores scrypt$N$r$p$salt$hash with a fresh salt for every hash of the same password', async () => {
    const [a, b] = await Promise.all([
      hashPassword('same password twice'),
      hashPassword('same password twice'),
    ]);
    const format = new RegExp(`^scrypt\\$32768\\$8\\$1\\$${B64URL}{22}\\$${B64URL}{43}$`);
    expect(a).toMatch(format);
    expect(b).toMatch(format);
    expect(a.split('$')[4]).not.toBe(b.split('$')[4]);
    expect(a).not.toBe(b);
  });

  it('verifies a hash stored with other cost parameters, read from the stored string', async () => {
    const salt = randomBytes(16);
    const key = scryptSync('an older, cheaper hash', salt, 32, { N: 2 ** 14, r: 8, p: 1 });
    const stored = ['scrypt', 2 ** 14, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
    expect(await verifyPassword('an older, cheaper hash', stored)).toBe(true);
    expect(await verifyPassword('an older, cheaper hash!', stored)).toBe(false);
  });

  it('treats the composed and decomposed forms of an accented password as the same password', async () => {
    const stored = await hashPassword('caf\u00e9 au lait, s\u2019il vous pla\u00eet');
    expect(await verifyPassword('cafe\u0301 au lait, s\u2019il vous plai\u0302t', stored)).toBe(true);
  });

  it.each([
    ['an empty string', ''],
    ['a plain string', 'not a hash at all'],
    ['another scheme', 'bcrypt$32768$8$1$c2FsdA$aGFzaA'],
    ['a missing hash', 'scrypt$32768$8$1$c2FsdA$'],
    ['a non-numeric cost', 'scrypt$abc$8$1$c2FsdA$aGFzaA'],
    ['a cost that is not a power of two', 'scrypt$3$8$1$c2FsdA$aGFzaA'],
    ['a cost beyond the memory limit', 'scrypt$1048576$8$1$c2FsdA$aGFzaA'],
    ['a truncated hash', 'scrypt$32768$8$1$c2FsdA$aGFzaA'],
  ])('treats %s as a mismatch without throwing', async (_label, stored) => {
    await expect(verifyPassword('any password at all', stored)).resolves.toBe(false);
  });
});

describe('generatePassword', () => {
  it('gives four groups of five characters from the alphabet without look-alikes', () => {
    for (let i = 0; i < 50; i++) {
      const password = generatePassword();
      expect(password).toMatch(GENERATED);
      expect(PasswordSchema.safeParse(password).success).toBe(true);
    }
  });

  it('gives a different password every time', () => {
    const passwords = Array.from({ length: 200 }, () => generatePassword());
    expect(new Set(passwords).size).toBe(200);
  });

  it('draws from the whole alphabet', () => {
    // 200 passwords are 4,000 characters; missing one of 54 characters by chance is ~1e-31.
    const seen = new Set(Array.from({ length: 200 }, () => generatePassword().replaceAll('-', '')).join(''));
    expect([...seen].sort().join('')).toBe([...ALPHABET].sort().join(''));
  });
});
