import Foundation
import NIOCore
import NIOPosix
import TaskpilotStore

#if canImport(Glibc)
import Glibc
#endif

extension Settings {
    /// What `serve` needs of the machine before anything starts, each failure a configuration error naming its key: a
    /// SQLite file's folder that can be created and written, no other server on that file (a lock held for the
    /// process's life), and a host and port it can listen on. Without these checks a port in use stopped start-up
    /// half-way through (and could leave the process hanging), and a folder it could not write to failed with a
    /// message that named neither.
    public func checkServing() throws(Invalid) {
        if case .sqliteFile(let path) = database { try checkDatabaseFile(path) }
        try checkListenAddress()
    }

    /// The folder of the SQLite file exists (or is created) and is writable, so is the file when it exists, and no other
    /// process serves that file.
    func checkDatabaseFile(_ path: String) throws(Invalid) {
        let key = ProcessInfo.processInfo.environment["TASKPILOT_DATABASE_URL"] == nil ? "TASKPILOT_DATA_DIR" : "TASKPILOT_DATABASE_URL"
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            // Foundation's error is a paragraph; the system call says it in a few words.
            let reason = mkdir(folder, 0o755) == 0 ? Self.reason(error) : String(cString: strerror(errno))
            throw Invalid(key: key, problem: "the folder '\(folder)' cannot be created (\(reason)); choose a folder this user may write")
        }
        guard access(folder, W_OK) == 0 else {
            throw Invalid(
                key: key,
                problem:
                    "the folder '\(folder)' is not writable by this user (\(String(cString: strerror(errno)))); fix its permissions or choose another"
            )
        }
        // A file (or its write-ahead log) that cannot be written would leave the server ready but failing every write.
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            let descriptor = open(file, O_RDWR | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw Invalid(
                    key: key,
                    problem:
                        "the database file '\(file)' cannot be written (\(String(cString: strerror(errno)))); fix its permissions or choose another folder"
                )
            }
            close(descriptor)
        }
        // Two servers on one file would each relay and fan out only their own events: the second one is refused.
        let lockPath = path + ".lock"
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw Invalid(key: key, problem: "'\(lockPath)' cannot be opened (\(String(cString: strerror(errno))))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw Invalid(
                key: key,
                problem:
                    "another Taskpilot server is serving '\(path)'; stop it first (the embedded database takes one server; scale out with PostgreSQL)"
            )
        }
        // `descriptor` is deliberately never closed: the lock lasts as long as this process.
    }

    /// The host and port can be listened on: bound once, as the server binds (`SO_REUSEADDR`, so only a socket
    /// listening there refuses it), and released without listening. A check that listened took the connections of
    /// clients that came that early into a socket nothing read, and they waited for an answer that never came.
    public func checkListenAddress() throws(Invalid) {
        guard port != 0 else { return }
        do {
            let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
            let descriptor = socket(address.protocolFamily, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
            defer { close(descriptor) }
            var on: Int32 = 1
            _ = setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
            guard address.withSockAddr({ bind(descriptor, $0, socklen_t($1)) }) == 0 else { throw IOError(errnoCode: errno, reason: "bind") }
        } catch {
            throw listenFailure(error)
        }
    }

    /// What a failure to listen means for the operator, naming the key to change. Also for the server's own bind,
    /// which can still lose the port to another process between the check and the start.
    public func listenFailure(_ error: any Error) -> Invalid {
        switch (error as? IOError)?.errnoCode {
        case EADDRINUSE:
            Invalid(
                key: "TASKPILOT_PORT",
                problem: "\(port) is already in use on \(host) (another Taskpilot or another program); stop it or choose another port"
            )
        case EACCES:
            Invalid(key: "TASKPILOT_PORT", problem: "\(port) needs privileges this user does not have; use a port above 1023")
        default:
            Invalid(
                key: "TASKPILOT_HOST",
                problem: "cannot listen on '\(host)' (\(Self.reason(error))); use an address of this machine, such as 127.0.0.1 or 0.0.0.0"
            )
        }
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        return String(describing: error)
    }
}
