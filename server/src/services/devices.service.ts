import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type {
  DeviceCredential,
  DeviceCredentialCreate,
  IssuedDeviceCredential,
} from '@shared/schemas/device.schema';
import type { DomainEvents } from './events';
import type { DeviceCredentialRecord, DeviceCredentialRepository } from './ports';

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** A refused credential operation. */
export class DeviceCredentialError extends Error {
  constructor(
    readonly code: 'not_found' | 'conflict' | 'invalid_request',
    message: string,
  ) {
    super(message);
    this.name = 'DeviceCredentialError';
  }
}

/** What a verified credential allows, as the ingest paths check it per reading. */
export interface DeviceIdentity {
  credentialId: string;
  kind: DeviceCredential['kind'];
  subjectId: string;
  /** Does it cover every sensor (the simulator, a city-wide gateway)? */
  coversAll: boolean;
  /** May this credential report readings of `sensorId`? */
  covers(sensorId: string): boolean;
}

function identityOf(r: DeviceCredentialRecord): DeviceIdentity {
  const set = r.sensorIds === 'all' ? null : new Set(r.sensorIds);
  return {
    credentialId: r.id,
    kind: r.kind,
    subjectId: r.subjectId,
    coversAll: set === null,
    covers: (sensorId) => set === null || set.has(sensorId),
  };
}

function publicView(r: DeviceCredentialRecord): DeviceCredential {
  const { secretHash: _s, ...credential } = r;
  return credential;
}

/**
 * Device credentials: issue, verify (on every MQTT connect and HTTP ingest
 * request, from memory), rotate and revoke. A revocation or rotation takes
 * effect at once: the 'device.revoked' event makes the broker drop the
 * device's open connections.
 */
export class DeviceCredentialService {
  private readonly byId = new Map<string, DeviceCredentialRecord>();

  constructor(
    private readonly deps: { repo: DeviceCredentialRepository; events: DomainEvents; clock: () => number },
  ) {
    // Another node issued, rotated or revoked a credential: take the stored set.
    const reload = () => void this.load();
    deps.events.on('devices.changed', reload, { remoteOnly: true });
    deps.events.on('device.revoked', reload, { remoteOnly: true });
  }

  /** Load (or reload) every credential; the set is swapped whole, so lookups never see it half-filled. */
  async load(): Promise<void> {
    const records = await this.deps.repo.list();
    this.byId.clear();
    for (const r of records) this.byId.set(r.id, r);
  }

  list(): DeviceCredential[] {
    return [...this.byId.values()].map(publicView);
  }

  get(id: string): DeviceCredential {
    const r = this.byId.get(id);
    if (!r) throw new DeviceCredentialError('not_found', `device credential ${id} does not exist`);
    return publicView(r);
  }

  /** Issue a credential; the secret is in the result and nowhere else. */
  async issue(input: DeviceCredentialCreate): Promise<IssuedDeviceCredential> {
    if (input.kind === 'sensor' && input.sensorIds !== undefined) {
      throw new DeviceCredentialError(
        'invalid_request',
        'a sensor credential reports for its own sensor only',
      );
    }
    const live = [...this.byId.values()].find(
      (r) => r.kind === input.kind && r.subjectId === input.subjectId && r.revokedAt === null,
    );
    if (live) {
      throw new DeviceCredentialError(
        'conflict',
        `${input.kind} ${input.subjectId} already has credential ${live.id}; rotate it`,
      );
    }
    const now = this.deps.clock();
    const secret = randomBytes(32).toString('base64url');
    const record: DeviceCredentialRecord = {
      id: `DK-${randomBytes(6).toString('hex')}`,
      kind: input.kind,
      subjectId: input.subjectId,
      name: input.name ?? `${input.kind} ${input.subjectId}`,
      sensorIds: input.kind === 'sensor' ? [input.subjectId] : (input.sensorIds ?? []),
      secretHash: sha256(secret).toString('hex'),
      createdAt: now,
      rotatedAt: now,
      revokedAt: null,
    };
    await this.deps.repo.insert(record);
    this.byId.set(record.id, record);
    this.deps.events.emit('devices.changed', {});
    return { credential: publicView(record), secret, apiKey: `${record.id}.${secret}` };
  }

  /** A new secret; the old one stops working at once. */
  async rotate(id: string): Promise<IssuedDeviceCredential> {
    const r = this.byId.get(id);
    if (!r) throw new DeviceCredentialError('not_found', `device credential ${id} does not exist`);
    if (r.revokedAt !== null)
      throw new DeviceCredentialError('conflict', `device credential ${id} is revoked`);
    const secret = randomBytes(32).toString('base64url');
    const next: DeviceCredentialRecord = {
      ...r,
      secretHash: sha256(secret).toString('hex'),
      rotatedAt: this.deps.clock(),
    };
    await this.deps.repo.save(next);
    this.byId.set(id, next);
    this.deps.events.emit('device.revoked', { credentialId: id });
    return { credential: publicView(next), secret, apiKey: `${id}.${secret}` };
  }

  async revoke(id: string): Promise<DeviceCredential> {
    const r = this.byId.get(id);
    if (!r) throw new DeviceCredentialError('not_found', `device credential ${id} does not exist`);
    const next: DeviceCredentialRecord = { ...r, revokedAt: r.revokedAt ?? this.deps.clock() };
    await this.deps.repo.save(next);
    this.byId.set(id, next);
    this.deps.events.emit('device.revoked', { credentialId: id });
    return publicView(next);
  }

  /** Check an id and secret (MQTT username/password); null when unknown, revoked or wrong. */
  verify(id: string, secret: string): DeviceIdentity | null {
    const r = this.byId.get(id);
    if (!r || r.revokedAt !== null || !secret) return null;
    const given = sha256(secret);
    const stored = Buffer.from(r.secretHash, 'hex');
    return given.length === stored.length && timingSafeEqual(given, stored) ? identityOf(r) : null;
  }

  /** Check an HTTP device key `<id>.<secret>`. */
  verifyApiKey(apiKey: string): DeviceIdentity | null {
    const dot = apiKey.indexOf('.');
    return dot > 0 ? this.verify(apiKey.slice(0, dot), apiKey.slice(dot + 1)) : null;
  }

  /** Still valid? (Connections opened before a revocation are re-checked with this.) */
  isLive(credentialId: string): boolean {
    return this.byId.get(credentialId)?.revokedAt === null;
  }
}
