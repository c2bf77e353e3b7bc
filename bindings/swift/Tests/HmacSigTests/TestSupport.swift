import HmacSig
import XCTest

/// Runs `body`, which must throw an `HmacSigError`, and returns that error.
func hmacSigError<T>(_ body: () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> HmacSigError? {
    do {
        let value = try body()
        XCTFail("expected an HmacSigError, got \(value)", file: file, line: line)
    } catch let error as HmacSigError {
        return error
    } catch {
        XCTFail("expected an HmacSigError, got \(type(of: error)): \(error)", file: file, line: line)
    }
    return nil
}
