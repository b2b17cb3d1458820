"""Writing a file in one step: beside it first, then renamed over it.

Every file tracegrad writes (a saved model, a drawing, a page, a plot) goes
through replace_file(), so a full disk, a crash or a ``kill -9`` part way
leaves the old file or the new one, never part of one.
"""

import os
import secrets
import stat

__all__ = ["replace_file", "missing_folders", "remove_empty_folders"]

# The longest file name most file systems take, in bytes (ext4, APFS, NTFS, tmpfs)
_NAME_MAX = 255


def replace_file(path, data):
    """Write data (bytes) to path, replacing the file in one step; returns nothing.

    The bytes go to a new file beside ``path`` under a name no one else uses,
    are flushed to the disk, and the new file is then renamed over ``path``.
    An existing file keeps its permissions; a new one gets the usual ones
    (those ``open()`` gives, set by the umask). A path that is a symbolic
    link stays one: the file it points to is replaced, as ``open()`` would
    write it.
    """
    asked = os.fspath(path)
    path = os.path.realpath(asked)
    temporary, descriptor = _new_file_beside(path, asked)
    try:
        with open(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())  # on the disk before the rename makes it the file
        _keep_permissions(path, temporary)
        os.replace(temporary, path)
    except BaseException:
        # the write or the rename failed (a full disk, path is a folder): leave no stray file
        try:
            os.remove(temporary)
        except OSError:
            pass
        raise


def _new_file_beside(path, asked):
    """(name, open descriptor) of a new empty file in path's folder, named .NAME.<random>.tmp.

    O_EXCL creates the file or fails: it never opens a file, or follows a
    symlink, that is already there. Mode 0o666 lets the umask decide the
    permissions, as open() does (tempfile.mkstemp would give 0o600, and
    the umask can only be read by setting it, for every thread at once).
    NAME is path's name, shortened when the whole would be longer than a
    file name may be. Errors name ``asked``, the path the caller gave.
    """
    folder, name = os.path.split(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        token = secrets.token_hex(6)
        stem = name
        while len(os.fsencode(f".{stem}.{token}.tmp")) > _NAME_MAX:
            stem = stem[:-1]
        temporary = os.path.join(folder, f".{stem}.{token}.tmp")
        try:
            return temporary, os.open(temporary, flags, 0o666)
        except FileExistsError:  # 48 random bits taken: try again
            continue
        except OSError as error:  # no such folder, no permission: say so about path, not our name
            raise type(error)(error.errno, error.strerror, asked) from None
    raise FileExistsError(f"cannot find a free temporary name beside {asked}")


def _keep_permissions(path, temporary):
    """Give temporary the permission bits of the file at path, if there is one."""
    try:
        existing = os.stat(path)
    except FileNotFoundError:
        return
    if stat.S_ISREG(existing.st_mode):
        os.chmod(temporary, stat.S_IMODE(existing.st_mode))


def missing_folders(folder):
    """The folders ``os.makedirs(folder)`` would create, deepest first (a list of paths)."""
    missing = []
    path = os.path.abspath(folder)
    while not os.path.exists(path):
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return missing


def remove_empty_folders(folders):
    """Remove each of folders (deepest first) that is empty; one holding anything stays, and its parents."""
    for folder in folders:
        try:
            os.rmdir(folder)
        except OSError:  # not empty, or already gone
            return
