// The key store's errors as Swift errors. Server only: the key store is a
// server feature, left out of the mobile builds (`cargo xtask dist` leaves this
// file out of the XCFramework's Swift package, whose bindings have no store).

import Foundation

extension KeyStoreError: LocalizedError, CustomStringConvertible {
    /// The human-readable message: the Rust `reason`, verbatim (never a
    /// secret nor the master key).
    public var reason: String {
        switch self {
        case let .MasterKey(reason),
             let .Storage(reason),
             let .NotFound(reason),
             let .AlreadyExists(reason),
             let .InvalidInput(reason):
            return reason
        }
    }

    public var errorDescription: String? { reason }

    public var description: String { reason }
}
