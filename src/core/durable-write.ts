import fs from 'node:fs';
import path from 'node:path';

/** The file operations a durable write uses (node:fs by default; tests pass a recording wrapper). */
export type FileOps = Pick<
  typeof fs,
  'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'mkdirSync'
>;

/**
 * Replaces `file` with `text` so that a power cut leaves the old or the new content, never an
 * empty file: written to `<file>.tmp`, fsynced, renamed over `file`, then the folder fsynced so
 * the rename itself is on disk.
 */
export function writeFileDurably(file: string, text: string, ops: FileOps = fs): void {
  const dir = path.dirname(file);
  ops.mkdirSync(dir, { recursive: true });
  const tmp = `${file}.tmp`;
  const fd = ops.openSync(tmp, 'w');
  try {
    ops.writeSync(fd, text);
    ops.fsyncSync(fd);
  } finally {
    ops.closeSync(fd);
  }
  ops.renameSync(tmp, file);
  let dirFd: number | undefined;
  try {
    dirFd = ops.openSync(dir, 'r');
    ops.fsyncSync(dirFd);
  } catch {
    // some systems cannot open or fsync a folder (Windows); the file itself is on disk
  } finally {
    if (dirFd !== undefined) ops.closeSync(dirFd);
  }
}
