import RefineryInferenceTesting
import RefineryCore
import Testing

@testable import RefineryInference

@Suite("SHA-256")
struct SHA256Tests {
    @Test("matches the FIPS 180-4 test vectors")
    func vectors() {
        #expect(SHA256.hash([]).hexString == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            SHA256.hash(Array("abc".utf8)).hexString
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)).hexString
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        )
        #expect(
            SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)).hexString
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        )
    }

    @Test("gives the same digest however the input is chunked", arguments: [1, 7, 63, 64, 65, 1000])
    func chunking(chunk: Int) {
        let bytes = FakePackages.ggufBytes(count: 10_007, seed: 3)
        var state = SHA256()
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            state.update(Array(bytes[offset..<end]))
            offset = end
        }
        #expect(state.finalize() == SHA256.hash(bytes))
    }

    @Test("agrees with Python's hashlib on lengths around the padding boundary")
    func paddingBoundaries() throws {
        let scratch = try TemporaryFolder.make("sha")
        for length in [55, 56, 57, 63, 64, 65, 119, 120, 4099] {
            let bytes = FakePackages.ggufBytes(count: length, seed: UInt64(length))
            #expect(SHA256.hash(bytes).hexString == (try FakePackages.referenceSHA256(bytes, scratch: scratch)))
        }
    }
}
