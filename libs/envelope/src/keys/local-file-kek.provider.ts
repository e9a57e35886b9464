import { randomBytes, randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { encodeFields, u32 } from '../encoding/length-prefixed.js';
import { EnvelopeError } from '../envelope.error.js';
import { GCM_NONCE_LENGTH, GCM_TAG_LENGTH, aesGcmDecrypt, aesGcmEncrypt } from '../primitives/aead.js';
import { assertKeyId } from './data-key.js';
import type { KekCiphertext, KekDescription, KekProvider } from './kek-provider.js';

const FILE_FORMAT = 'confide-local-kek/v1';
const AAD_LABEL = 'confide/local-kek/v1';
const KEK_LENGTH = 32;

interface KekFileVersion {
  version: number;
  createdAt: string;
  key: string;
}

interface KekFile {
  format: typeof FILE_FORMAT;
  kekId: string;
  primaryVersion: number;
  minDecryptionVersion: number;
  versions: KekFileVersion[];
}

export interface LocalFileKekOptions {
  /** Clock for version timestamps (tests). */
  readonly now?: () => Date;
}

/**
 * Embedded-mode KEK: AES-256 keys in a JSON file readable only by its owner (mode 0600). Loading refuses a file that
 * group or others can read or write. Wrapping is AES-256-GCM with a random 96-bit nonce per wrap (KEKs wrap few
 * keys, far below the 2^32 random-nonce limit) and AAD = (KEK id, KEK version, caller AAD).
 * Writes go to a 0600 temporary file that is fsynced and renamed over the old one. One process owns the file.
 */
export class LocalFileKekProvider implements KekProvider {
  #file: KekFile;
  readonly #keys = new Map<number, Buffer>();

  private constructor(
    readonly path: string,
    file: KekFile,
    private readonly options: LocalFileKekOptions,
  ) {
    this.#file = file;
    for (const v of file.versions) this.#keys.set(v.version, Buffer.from(v.key, 'base64'));
  }

  /** Creates a new key file (fails if one exists) with version 1 as primary. */
  static async create(path: string, options: LocalFileKekOptions & { kekId?: string } = {}): Promise<LocalFileKekProvider> {
    const kekId = options.kekId ?? `local-${randomUUID()}`;
    assertKeyId(kekId);
    const file: KekFile = {
      format: FILE_FORMAT,
      kekId,
      primaryVersion: 1,
      minDecryptionVersion: 1,
      versions: [newVersion(1, options.now)],
    };
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    // Publish atomically: write a complete private file aside, then link it into place. link() fails if the path
    // exists, so of two processes creating at once exactly one wins and nobody ever reads a half-written key file.
    const temporary = join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`);
    try {
      await writeKeyFile(temporary, file);
      await link(temporary, path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST') throw new EnvelopeError('kek_file_exists', 'the KEK file already exists');
        throw new EnvelopeError('kek_provider_failed', 'could not create the KEK file', undefined, error.code);
      });
    } finally {
      await rm(temporary, { force: true });
    }
    return new LocalFileKekProvider(path, file, options);
  }

  /** Loads an existing key file, refusing one that is not a regular file private to its owner. */
  static async load(path: string, options: LocalFileKekOptions = {}): Promise<LocalFileKekProvider> {
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw new EnvelopeError('kek_file_missing', 'the KEK file does not exist');
      throw new EnvelopeError('kek_file_malformed', 'the KEK file cannot be read', undefined, error.code);
    });
    if (!info.isFile()) throw new EnvelopeError('kek_file_malformed', 'the KEK path is not a regular file');
    if ((info.mode & 0o077) !== 0) {
      throw new EnvelopeError(
        'kek_file_permissions',
        `the KEK file must be readable by its owner only (mode 0600), found ${(info.mode & 0o777).toString(8)}`,
      );
    }
    if (typeof process.getuid === 'function' && info.uid !== process.getuid()) {
      throw new EnvelopeError('kek_file_permissions', 'the KEK file must be owned by the user running confide');
    }
    return new LocalFileKekProvider(path, parseKeyFile(await readFile(path, 'utf8')), options);
  }

  /** Embedded mode: load the file, or create it on first start. */
  static async loadOrCreate(path: string, options: LocalFileKekOptions = {}): Promise<LocalFileKekProvider> {
    try {
      return await LocalFileKekProvider.load(path, options);
    } catch (error) {
      if (!(error instanceof EnvelopeError) || error.code !== 'kek_file_missing') throw error;
    }
    try {
      return await LocalFileKekProvider.create(path, options);
    } catch (error) {
      // Another process created it between our load and create: use theirs.
      if (error instanceof EnvelopeError && error.code === 'kek_file_exists') return LocalFileKekProvider.load(path, options);
      throw error;
    }
  }

  async describe(): Promise<KekDescription> {
    const file = this.#file;
    return {
      provider: 'local-file',
      kekId: file.kekId,
      primaryVersion: file.primaryVersion,
      minDecryptionVersion: file.minDecryptionVersion,
      versions: file.versions.map((v) => ({
        version: v.version,
        createdAt: v.createdAt,
        state: v.version === file.primaryVersion ? 'primary' : v.version < file.minDecryptionVersion ? 'retired' : 'enabled',
      })),
    };
  }

  async wrap(plaintext: Uint8Array, aad: Uint8Array): Promise<KekCiphertext> {
    const version = this.#file.primaryVersion;
    const key = this.#key(version);
    const nonce = randomBytes(GCM_NONCE_LENGTH);
    const { ciphertext, tag } = aesGcmEncrypt(key, nonce, plaintext, this.#aad(version, aad));
    return { kekId: this.#file.kekId, kekVersion: version, ciphertext: Buffer.concat([nonce, ciphertext, tag]) };
  }

  async unwrap(wrapped: KekCiphertext, aad: Uint8Array): Promise<Uint8Array> {
    if (wrapped.kekId !== this.#file.kekId) {
      throw new EnvelopeError('kek_id_mismatch', 'the key was wrapped by a different KEK');
    }
    if (wrapped.kekVersion < this.#file.minDecryptionVersion && this.#keys.has(wrapped.kekVersion)) {
      throw new EnvelopeError('kek_version_retired', `KEK version ${wrapped.kekVersion} is retired; rewrap was required`);
    }
    const key = this.#key(wrapped.kekVersion);
    const ct = Buffer.from(wrapped.ciphertext);
    if (ct.length < GCM_NONCE_LENGTH + GCM_TAG_LENGTH) throw new EnvelopeError('dek_unwrap_failed', 'wrapped key is too short');
    try {
      return aesGcmDecrypt(
        key,
        ct.subarray(0, GCM_NONCE_LENGTH),
        ct.subarray(GCM_NONCE_LENGTH, ct.length - GCM_TAG_LENGTH),
        ct.subarray(ct.length - GCM_TAG_LENGTH),
        this.#aad(wrapped.kekVersion, aad),
      );
    } catch {
      throw new EnvelopeError('dek_unwrap_failed', 'the wrapped key did not authenticate (wrong binding or corrupted)');
    }
  }

  async rotate(): Promise<KekDescription> {
    const version = Math.max(...this.#file.versions.map((v) => v.version)) + 1;
    const added = newVersion(version, this.options.now);
    await this.#persist({ ...this.#file, primaryVersion: version, versions: [...this.#file.versions, added] });
    this.#keys.set(version, Buffer.from(added.key, 'base64'));
    return this.describe();
  }

  async setMinDecryptionVersion(version: number): Promise<KekDescription> {
    if (!Number.isInteger(version) || version < 1 || version > this.#file.primaryVersion) {
      throw new EnvelopeError('kek_version_unknown', 'the minimum decryption version must be between 1 and the primary');
    }
    await this.#persist({ ...this.#file, minDecryptionVersion: Math.max(version, this.#file.minDecryptionVersion) });
    return this.describe();
  }

  async #persist(next: KekFile): Promise<void> {
    const temporary = join(dirname(this.path), `.${basename(this.path)}.${randomUUID()}.tmp`);
    try {
      await writeKeyFile(temporary, next);
      await rename(temporary, this.path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw new EnvelopeError('kek_provider_failed', 'could not write the KEK file', undefined, (error as Error).message);
    }
    this.#file = next;
  }

  #key(version: number): Buffer {
    const key = this.#keys.get(version);
    if (key === undefined) throw new EnvelopeError('kek_version_unknown', `KEK version ${version} is not in the keyring`);
    return key;
  }

  #aad(version: number, aad: Uint8Array): Buffer {
    return encodeFields(AAD_LABEL, [this.#file.kekId, u32(version), aad]);
  }
}

function newVersion(version: number, now: (() => Date) | undefined): KekFileVersion {
  return { version, createdAt: (now ?? (() => new Date()))().toISOString(), key: randomBytes(KEK_LENGTH).toString('base64') };
}

/** Creates `path` exclusively with mode 0600, writes and fsyncs it. */
async function writeKeyFile(path: string, file: KekFile): Promise<void> {
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600).catch(
    (error: NodeJS.ErrnoException) => {
      throw new EnvelopeError('kek_provider_failed', 'could not create the KEK file', undefined, error.code);
    },
  );
  try {
    // The umask can only remove bits; chmod makes the mode exact whatever the umask.
    await handle.chmod(0o600);
    await handle.writeFile(JSON.stringify(file, null, 2) + '\n', 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function parseKeyFile(text: string): KekFile {
  const malformed = (why: string): EnvelopeError => new EnvelopeError('kek_file_malformed', `the KEK file is malformed: ${why}`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw malformed('not JSON');
  }
  if (typeof raw !== 'object' || raw === null) throw malformed('not an object');
  const file = raw as Partial<KekFile>;
  if (file.format !== FILE_FORMAT) throw malformed('unknown format');
  if (typeof file.kekId !== 'string') throw malformed('kekId');
  if (!Array.isArray(file.versions) || file.versions.length === 0) throw malformed('versions');
  const seen = new Set<number>();
  for (const v of file.versions) {
    if (!Number.isInteger(v.version) || v.version < 1 || seen.has(v.version)) throw malformed('version numbers');
    if (typeof v.key !== 'string' || Buffer.from(v.key, 'base64').length !== KEK_LENGTH) throw malformed('key length');
    if (typeof v.createdAt !== 'string') throw malformed('createdAt');
    seen.add(v.version);
  }
  if (typeof file.primaryVersion !== 'number' || !seen.has(file.primaryVersion)) throw malformed('primaryVersion');
  if (
    typeof file.minDecryptionVersion !== 'number' ||
    file.minDecryptionVersion < 1 ||
    file.minDecryptionVersion > file.primaryVersion
  ) {
    throw malformed('minDecryptionVersion');
  }
  return file as KekFile;
}
