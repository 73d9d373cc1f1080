// Package local is the admin.FileStorage adapter that keeps files in a
// directory of the local file system: the default for a single admin server.
//
// # Configuration
//
//	store, err := local.New("/var/lib/mastra-admin/files", nil)
//
// New creates the directory when it is missing. A key maps to the file
// root/{key}; folders are created as keys need them, and Delete and Move
// remove the folders they leave empty. Options sets the permissions of new
// files and folders (0o600 and 0o700 by default, before the umask) and a
// logger for failed clean-ups.
//
// # Guarantees
//
// Every path goes through an os.Root, so no key reaches outside the root
// directory, not even through a symbolic link that someone placed inside it:
// such a key fails with admin.ErrInvalidArgument and nothing outside is read,
// written or removed. A key whose last element is a symbolic link is refused
// the same way, wherever the link points; links to folders inside the root
// are followed. List shows regular files only.
//
// Write copies into a temp file in the target's folder, syncs it, renames it
// over the target and syncs the folder, so readers see the old file or the
// new one and a crash leaves one of them. A crash during a Write can leave a
// temp file, named ".filestore-tmp\" and random letters, which List never
// shows and which can be removed while no Write runs. Move is one rename.
//
// Unlike an object store, a file system cannot hold both "a" and "a/b": a
// Write or Move that needs a file where a folder is, or the reverse, fails
// with admin.ErrConflict and changes nothing.
//
// # Errors
//
// Errors name the operation and the key ("local: read \"a\": ...") and wrap
// the admin sentinels: admin.ErrInvalidArgument (a *admin.ValidationError)
// for a bad key or a symbolic link, admin.ErrNotFound for a missing file,
// admin.ErrConflict for a file/folder clash, admin.ErrClosed after Close, and
// the context's error when it is done.
package local
