#if canImport(Glibc)
import RefineryCore
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The element-wise operations of a forward pass, written as llama.cpp computes them (so
/// results agree to rounding): per-row, allocation-free, over unsafe pointers.
enum TensorOps {
    /// `out = x / rms(x) * weight` (RMSNorm with ggml's double-precision sum).
    @inline(__always)
    static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, count: Int, epsilon: Float) {
        var sum: Double = 0
        for i in 0..<count {
            let v = x[i]
            sum += Double(v * v)
        }
        let mean = Float(sum / Double(count))
        let scale = 1 / (mean + epsilon).squareRoot()
        for i in 0..<count { out[i] = (x[i] * scale) * weight[i] }
    }

    /// `x += y`.
    @inline(__always)
    static func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { x[i] += y[i] }
    }

    /// Fills `table` with the cos/sin pairs RoPE uses at `position` (`dimensions` floats),
    /// with ggml's iterative angle computation.
    static func ropeTable(position: Int, dimensions: Int, base: Float, scale: Float, into table: UnsafeMutablePointer<Float>) {
        let thetaScale = powf(base, -2 / Float(dimensions))
        var theta = Float(position)
        var i = 0
        while i < dimensions {
            let angle = scale * theta
            table[i] = cosf(angle)
            table[i &+ 1] = sinf(angle)
            theta *= thetaScale
            i &+= 2
        }
    }

    /// Rotates the first `ropeDimensions` of each of `heads` heads of `x` (head size
    /// `headDimension`) in place. `neox` pairs element `i` with `i + d/2`; otherwise pairs are
    /// adjacent (ggml's normal mode).
    @inline(__always)
    static func rope(_ x: UnsafeMutablePointer<Float>, heads: Int, headDimension: Int, ropeDimensions: Int,
                     table: UnsafePointer<Float>, neox: Bool) {
        let half = ropeDimensions / 2
        for h in 0..<heads {
            let v = x + h &* headDimension
            var i = 0
            while i < ropeDimensions {
                let c = table[i], s = table[i &+ 1]
                // llama.cpp's build fuses x0 * c into the subtraction and x0 * s into the addition.
                if neox {
                    let j = i / 2
                    let x0 = v[j], x1 = v[j &+ half]
                    v[j] = (-(x1 * s)).addingProduct(x0, c)
                    v[j &+ half] = (x1 * c).addingProduct(x0, s)
                } else {
                    let x0 = v[i], x1 = v[i &+ 1]
                    v[i] = (-(x1 * s)).addingProduct(x0, c)
                    v[i &+ 1] = (x1 * c).addingProduct(x0, s)
                }
                i &+= 2
            }
        }
    }

    /// `gate = gelu(gate) * up`, with ggml's tanh approximation through its F16 table.
    @inline(__always)
    static func geglu(_ gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            gate[i] = gelu(gate[i]) * up[i]
        }
    }

    /// GELU (tanh approximation) as ggml's CPU backend computes it: through a table indexed by
    /// the F16 value of `x`, holding F16 results.
    @inline(__always)
    static func gelu(_ x: Float) -> Float {
        if x <= -10 { return 0 }
        if x >= 10 { return x }
        let h = Float(Float16(x))
        let y = 0.5 * h * (1 + tanhf(0.797_884_56 * h * (1 + 0.044715 * h * h)))
        return Float(Float16(y))
    }

    /// `x = cap * tanh(x / cap)`.
    static func softcap(_ x: UnsafeMutablePointer<Float>, count: Int, cap: Float) {
        for i in 0..<count { x[i] = tanhf(x[i] / cap) * cap }
    }

    /// `x *= factor`.
    @inline(__always)
    static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        for i in 0..<count { x[i] *= factor }
    }
}
