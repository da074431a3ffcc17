// The HTML report: self-contained, escaped, plots drawn where the numbers say, and rendered by a real browser
// (Debian's headless Chromium) into a page that is not blank and has its plots.
import Foundation
import Runner
import TestSupport
import Testing

@testable import Reports

@Suite("HTML report")
struct HTMLReportTests {
    @Test("Self-contained: no script, no external resource, every link inside the page, a CSP that forbids loading")
    func selfContained() {
        for run in [fixtureRun, repeatedRun, interruptedRun, emptyInterruptedRun] {
            let html = HTMLReport.render(run)
            for forbidden in [
                "<script", "<link", "<img", "<iframe", "<object", "src=", "url(", "@import", "http:", "https:",
            ] {
                #expect(!html.lowercased().contains(forbidden), "the page contains \(forbidden)")
            }
            #expect(html.contains("content=\"default-src 'none'; style-src 'unsafe-inline'\""))
            let links = html.components(separatedBy: "href=\"").dropFirst().map { $0.prefix(1) }
            #expect(!links.isEmpty && links.allSatisfy { $0 == "#" })
        }
    }

    @Test("Everything from a scenario or a card is escaped: the hostile strings show as text, never as markup")
    func escaping() {
        let html = HTMLReport.render(fixtureRun)
        #expect(!html.contains("<b>"))
        #expect(html.contains("&lt;b&gt;&amp;amp; DEL[\\u{7F}] C1[\\u{9B}]"))
        #expect(html.contains("NUL[\\u{0}] ESC[\\u{1B}[31m] ]]&gt; &quot;double&quot; &#39;single&#39;"))
        #expect(html.contains("Scenarios/jpki/&lt;hostile&gt; &amp; &quot;quoted&quot;.yaml"))
        #expect(!html.unicodeScalars.contains { HTMLEscaping.isHidden($0) && $0 != "\n" && $0 != "\t" })
        #expect(!html.contains("\r"))
    }

    @Test("Escaping at the byte level: markup, quotes, CR LF, controls, noncharacters and bidi overrides")
    func escapingBytes() {
        #expect(HTMLEscaping.text("<a href=\"x\">&'</a>") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;")
        #expect(HTMLEscaping.text("a\r\nb\rc\nd\te") == "a\nb\\u{D}c\nd\te")
        #expect(HTMLEscaping.text("\u{0}\u{1B}\u{7F}\u{9B}\u{FFFE}") == "\\u{0}\\u{1B}\\u{7F}\\u{9B}\\u{FFFE}")
        // U+202E would show "txt.exe" as "exe.txt".
        #expect(HTMLEscaping.text("a\u{202E}b\u{2066}c\u{200F}") == "a\\u{202E}b\\u{2066}c\\u{200F}")
        #expect(HTMLEscaping.text("署名用 🔐") == "署名用 🔐")
    }

    @Test("The evidence is on the page: commit, modified build, times, reader firmware, card identity, input digests")
    func evidence() {
        let html = HTMLReport.render(fixtureRun)
        #expect(html.contains("<code>0123456789abcdef0123456789abcdef01234567</code>"))
        #expect(html.contains("built with uncommitted changes"))
        #expect(html.contains("<th scope=\"row\">Started</th><td>2025-04-01T09:30:00.125Z</td>"))
        #expect(html.contains("<th scope=\"row\">Ended</th><td>2025-04-01T09:30:01.375Z</td>"))
        #expect(html.contains("<th scope=\"row\">Reader firmware</th><td>1.10</td>"))
        #expect(html.contains("<td><code>0000000020500003</code></td><td><code>01 2D 57 CA</code></td>"))
        for input in fixtureInputs {
            #expect(
                html.contains(
                    "<code>\(HTMLEscaping.text(input.path))</code></td><td class=\"digest\"><code>\(input.sha256)</code>"
                ))
        }
        var unknown = fixtureRun
        unknown.target.harnessCommit = nil
        unknown.target.readerFirmware = nil
        let page = HTMLReport.render(unknown)
        #expect(page.contains("unknown (built outside a git checkout)"))
        #expect(page.contains("<th scope=\"row\">Reader firmware</th><td>not available</td>"))
    }

    @Test("Verdicts: failed, interrupted, nothing passed, passed")
    func verdicts() {
        #expect(HTMLReport.render(fixtureRun).contains("<h1>mynaconf conformance report: FAILED</h1>"))
        #expect(HTMLReport.render(emptyInterruptedRun).contains("report: INTERRUPTED</h1>"))
        let passing = RunResult(
            target: fixtureTarget, startedAt: fixtureStart, duration: .seconds(1),
            scenarios: [fixtureRun.scenarios[0]])
        #expect(HTMLReport.render(passing).contains("<header class=\"verdict passed\">"))
        let allSkipped = RunResult(
            target: fixtureTarget, startedAt: fixtureStart, duration: .seconds(1),
            scenarios: [fixtureRun.scenarios[3]])
        #expect(HTMLReport.render(allSkipped).contains("report: NOTHING PASSED</h1>"))
    }

    @Test("Results by requirement: sorted IDs, a scenario under each of its requirements, unnamed last; verdicts")
    func requirements() {
        let groups = HTMLReport.requirementGroups(fixtureRun)
        #expect(
            groups.map(\.requirement) == [
                "FREE-A-01", "JPKI-PIN-02", "JPKI-PIN-03", "JPKI-SIGN-01", "REQ-\"<&>\"", nil,
            ])
        #expect(
            groups.map { $0.results.map(\.result.id) } == [
                ["FREE-A-INSTALL"], ["JPKI-AUTH-PIN-LOCKOUT"], ["JPKI-AUTH-PIN-LOCKOUT"], ["JPKI-SIGN-01"],
                ["HOSTILE-01"],
                ["TEXT-AP-01"],
            ])
        let scenarios = fixtureRun.scenarios
        let (passed, failed, skipped, error) = (scenarios[0], scenarios[1], scenarios[3], scenarios[4])
        #expect(HTMLReport.requirementVerdict([passed, skipped]).word == "passed (1 skipped)")
        #expect(HTMLReport.requirementVerdict([passed, failed]).word == "failed")
        #expect(HTMLReport.requirementVerdict([passed, error]).word == "failed")
        #expect(HTMLReport.requirementVerdict([skipped]).word == "not tested")
        #expect(HTMLReport.requirementVerdict([passed]).word == "passed")
        // A flaky scenario under --repeat shows one mark per run, the failing one linked.
        let html = HTMLReport.render(repeatedRun)
        #expect(
            html.contains(
                "<span class=\"mark failed\">✗</span><span class=\"mark passed\">✓</span> "
                    + "<a href=\"#failure-1\">JPKI-AUTH-PIN-LOCKOUT</a> (2 runs)"))
    }

    @Test("Failures: each failed or errored scenario once, with location, expected, got and its masked transcript")
    func failures() {
        let html = HTMLReport.render(fixtureRun)
        #expect(html.components(separatedBy: "<article class=\"failure").count - 1 == 3)
        #expect(html.contains("<article class=\"failure failed\" id=\"failure-1\">"))
        #expect(html.contains("<article class=\"failure error\" id=\"failure-4\">"))
        #expect(html.contains("<dt>expected</dt><dd><code>63 C0</code></dd>"))
        #expect(html.contains("<dt>got</dt><dd class=\"got\"><code>63 C1</code></dd>"))
        #expect(html.contains("&gt; 00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01\n&lt; 90 00"))
        // The PIN the Runner failed to mask is masked here, in the passing scenario's data too: nowhere on the page.
        #expect(!html.contains("31 32 33 34"))
        // A transcript past the limit shows its end and says what it left out.
        var long = fixtureRun
        let entry = TranscriptEntry(command: "00 B0 00 00 01", response: "00 90 00", duration: .zero, step: "x.yaml:1")
        long.scenarios[1].transcript = Array(repeating: entry, count: HTMLReport.transcriptLimit + 7)
        let page = HTMLReport.render(long)
        #expect(page.contains("Transcript (\(HTMLReport.transcriptLimit + 7) commands)"))
        #expect(page.contains("The first 7 commands are not shown here; the JSON report has every one."))
    }

    @Test("A long --repeat run stays a readable page: counts instead of marks, a few failures per scenario in full")
    func longRepeatedRun() {
        let scenarios = Array(repeating: fixtureRun.scenarios, count: 2000).flatMap { $0 }
        let run = RunResult(
            target: fixtureTarget, startedAt: fixtureStart, duration: .seconds(60), scenarios: scenarios,
            endedAt: fixtureEnd, inputs: fixtureInputs)
        let html = HTMLReport.render(run)
        #expect(html.utf8.count < 300_000, "\(html.utf8.count) bytes")
        let articles = html.components(separatedBy: "<article class=\"failure").count - 1
        #expect(articles == 3 * HTMLReport.failuresPerScenario)
        #expect(html.contains("\(6000 - articles) more failures are not shown here"))
        #expect(
            html.contains("<span class=\"mark failed\">✗×2000</span> <a href=\"#failure-1\">JPKI-AUTH-PIN-LOCKOUT</a>"))
        #expect(html.contains("<td><span class=\"mark passed\">✓×2000</span></td><td><code>JPKI-SIGN-01</code></td>"))
        #expect(html.contains("<strong>sign @ Scenarios/jpki/sign.yaml:14</strong>: 40000 samples from 2000 runs"))
        // Past the rug limit the per-sample ticks are left out; the histogram still counts every sample.
        #expect(!html.contains("<path class=\"rug\""))
        #expect(HTMLReport.render(fixtureRun).contains("<path class=\"rug\""))
    }

    @Test("One plot per timed step; a repeated scenario's samples merge into its step's plot")
    func plotCount() {
        let html = HTMLReport.render(fixtureRun)
        #expect(html.components(separatedBy: "<svg class=\"timing-plot\"").count - 1 == 2)
        let repeated = HTMLReport.render(repeatedRun)
        #expect(repeated.components(separatedBy: "<svg class=\"timing-plot\"").count - 1 == 2)
        #expect(repeated.contains("<strong>sign @ Scenarios/jpki/sign.yaml:14</strong>: 40 samples from 2 runs"))
        #expect(HTMLReport.timedSteps(repeatedRun).map(\.timing.samples.count) == [40, 4])
        #expect(HTMLReport.render(emptyInterruptedRun).contains("<p>No step was timed.</p>"))
    }

    @Test("A plot puts bars, percentiles and the budget line where the numbers say, at the byte level")
    func plotGeometry() {
        // Samples 10 and 20 ms, max budget 30 ms: the axis runs to 40 ms in steps of 10; x = 56 + ms / 40 × 564.
        let timing = StepTiming(
            name: "sign @ a.yaml:3", samples: [.milliseconds(10), .milliseconds(20)], maxBudget: .milliseconds(30))
        let svg = TimingPlot(timing: timing, runs: 1, identifier: "p").svg()
        #expect(
            svg.contains("<line class=\"budget\" x1=\"479.0\" y1=\"22.0\" x2=\"479.0\" y2=\"140.0\" stroke=\"#c62828\"")
        )
        #expect(svg.contains(">max budget 30 ms</text>"))
        #expect(svg.contains("<path class=\"rug\" d=\"M197.0 144.0v8M338.0 144.0v8\""))
        #expect(svg.contains("<line class=\"percentile\" x1=\"197.0\""))  // p50 = 10 ms
        #expect(svg.contains("<line class=\"percentile\" x1=\"338.0\""))  // p95 = 20 ms
        for (tick, x) in [("0", "56.0"), ("10", "197.0"), ("20", "338.0"), ("30", "479.0"), ("40", "620.0")] {
            #expect(svg.contains("<text x=\"\(x)\" y=\"170.0\" text-anchor=\"middle\" font-size=\"11\">\(tick)</text>"))
        }
        // Two bars of equal height (one sample each), blue: neither bin starts past the budget.
        #expect(svg.components(separatedBy: "<rect class=\"bar\"").count - 1 == 2)
        #expect(
            svg.contains("<rect class=\"bar\" x=\"197.0\" y=\"30.0\" width=\"27.2\" height=\"110.0\" fill=\"#3f6fb5\">")
        )
        #expect(svg.contains("<title>10–12 ms: 1 sample</title>") && svg.contains("<title>20–22 ms: 1 sample</title>"))

        // A sample past the budget is drawn red; a budget far beyond the samples is named, not drawn to scale.
        let over = TimingPlot(
            timing: StepTiming(
                name: "x", samples: [.milliseconds(10), .milliseconds(50)], maxBudget: .milliseconds(30)),
            runs: 1, identifier: "q"
        ).svg()
        #expect(over.contains("fill=\"#c62828\"><title>"))
        let offScale = TimingPlot(
            timing: StepTiming(name: "x", samples: [.milliseconds(12)], maxBudget: .milliseconds(2000)), runs: 1,
            identifier: "r"
        ).svg()
        #expect(offScale.contains(">max budget 2000 ms, off scale →</text>"))
        #expect(!offScale.contains("<line class=\"budget\""))
    }

    @Test("Plot axes are round: 1, 2 or 5 × 10^k per step, at most five steps; zero samples still get an axis")
    func axes() {
        let cases: [(Double, Double, Double)] = [
            (31.5, 40, 10), (0.0042, 0.005, 0.001), (1, 1, 0.2), (0, 1, 0.2), (1234, 1500, 500), (99, 100, 20),
        ]
        for (value, maximum, step) in cases {
            let axis = TimingPlot.axis(upTo: value)
            #expect(abs(axis.maximum - maximum) < 1e-9 && abs(axis.step - step) < 1e-12, "\(value): \(axis)")
        }
        #expect(TimingPlot.label(12.5) == "12.5" && TimingPlot.label(0.001) == "0.001" && TimingPlot.label(40) == "40")
        #expect(TimingPlot.f(479) == "479.0" && TimingPlot.f(0.04) == "0.0" && TimingPlot.f(12.35) == "12.4")
    }
}

/// Headless Chromium renders the page: a screenshot that is not blank and a DOM with the plots. Serialized: two
/// browsers at once only slow each other down on a small machine.
@Suite("HTML report in Chromium", .serialized)
struct HTMLRenderingTests {
    @Test("The DOM after rendering has one SVG plot per timed step, the failures, and no injected element")
    func domHasPlots() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let page = directory.appendingPathComponent("report.html")
        try ReportFile.writeAtomically(HTMLReport.render(fixtureRun), to: page.path)
        let result = try chromium(["--dump-dom", page.absoluteString], in: directory)
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")
        let dom = result.stdout
        #expect(dom.components(separatedBy: "<svg class=\"timing-plot\"").count - 1 == 2)
        #expect(dom.components(separatedBy: "<rect class=\"bar\"").count - 1 > 2)
        #expect(dom.components(separatedBy: "<article class=\"failure").count - 1 == 3)
        #expect(dom.contains("<h1>mynaconf conformance report: FAILED</h1>"))
        // The hostile "<b>" arrived as text: the parsed page has no <b> element.
        #expect(!dom.contains("<b>") && dom.contains("&lt;b&gt;"))
    }

    @Test("The screenshot is not blank: many colours, the red verdict banner, and more than a little ink")
    func screenshotNotBlank() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let page = directory.appendingPathComponent("report.html")
        let shot = directory.appendingPathComponent("report.png")
        try ReportFile.writeAtomically(HTMLReport.render(fixtureRun), to: page.path)
        let result = try chromium(
            ["--window-size=1000,1800", "--screenshot=\(shot.path)", page.absoluteString], in: directory)
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")
        let stats = try pngStatistics(shot.path)
        #expect(stats.width == 1000 && stats.height == 1800)
        #expect(stats.colours >= 50, "only \(stats.colours) colours")
        #expect(stats.inkFraction > 0.02, "\(stats.inkFraction) of the pixels are not white")
        // #c62828, the failed verdict's banner.
        #expect(stats.bannerPixels > 10_000, "\(stats.bannerPixels) pixels of the red banner")
    }

    @Test("The pixel check can fail: an empty page is blank")
    func blankPageIsBlank() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let page = directory.appendingPathComponent("blank.html")
        let shot = directory.appendingPathComponent("blank.png")
        try ReportFile.writeAtomically("<!DOCTYPE html><html><body></body></html>\n", to: page.path)
        let result = try chromium(
            ["--window-size=400,300", "--screenshot=\(shot.path)", page.absoluteString], in: directory)
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")
        let stats = try pngStatistics(shot.path)
        #expect(stats.colours == 1 && stats.inkFraction == 0 && stats.bannerPixels == 0)
    }
}

/// Runs Debian's Chromium headless on a page, with a private profile, nothing but the page loaded, and no way off
/// the machine (no DNS, a proxy on a closed loopback port); `timeout` ends it if it hangs.
func chromium(_ arguments: [String], in directory: URL) throws -> ProgramRun {
    let profile = directory.appendingPathComponent("chromium-profile")
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else {
        let message = "/usr/bin/chromium is missing: install the Debian package chromium (`make test` does)"
        Issue.record(Comment(rawValue: message))
        throw ProgramProblem(message)
    }
    return try runTool(
        "/usr/bin/timeout",
        [
            "120", "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--user-data-dir=\(profile.path)", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
            "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
        ] + arguments, debianPackage: "coreutils")
}

struct PNGStatistics: Decodable {
    var width: Int
    var height: Int
    var colours: Int
    var inkFraction: Double
    var bannerPixels: Int
}

/// Decodes a PNG with Python's standard library only (zlib and the five row filters of PNG §9) and counts its
/// colours, the share of pixels that are not white, and the pixels of the failed banner's red.
func pngStatistics(_ path: String) throws -> PNGStatistics {
    let script = """
        import json, struct, sys, zlib
        data = open(sys.argv[1], "rb").read()
        assert data[:8] == b"\\x89PNG\\r\\n\\x1a\\n", "not a PNG"
        pos, idat = 8, b""
        while pos < len(data):
            length, kind = struct.unpack(">I4s", data[pos:pos + 8])
            body = data[pos + 8:pos + 8 + length]
            if kind == b"IHDR":
                width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
                assert depth == 8 and colour in (2, 6) and interlace == 0, "unexpected PNG format"
            elif kind == b"IDAT":
                idat += body
            pos += 12 + length
        channels = 3 if colour == 2 else 4
        raw = zlib.decompress(idat)
        stride = width * channels
        previous = bytearray(stride)
        colours, ink, banner = set(), 0, 0
        for y in range(height):
            filter_type = raw[y * (stride + 1)]
            row = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
            for i in range(stride):
                left = row[i - channels] if i >= channels else 0
                up = previous[i]
                corner = previous[i - channels] if i >= channels else 0
                if filter_type == 1: row[i] = (row[i] + left) & 255
                elif filter_type == 2: row[i] = (row[i] + up) & 255
                elif filter_type == 3: row[i] = (row[i] + (left + up) // 2) & 255
                elif filter_type == 4:
                    p = left + up - corner
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                    row[i] = (row[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
            for x in range(0, stride, channels):
                pixel = bytes(row[x:x + 3])
                colours.add(pixel)
                if pixel != b"\\xff\\xff\\xff": ink += 1
                if pixel == b"\\xc6\\x28\\x28": banner += 1
            previous = row
        print(json.dumps({"width": width, "height": height, "colours": len(colours),
                          "inkFraction": ink / (width * height), "bannerPixels": banner}))
        """
    let result = try runTool("/usr/bin/python3", ["-c", script, path], debianPackage: "python3")
    guard result.status == 0 else {
        Issue.record(Comment(rawValue: "the PNG could not be read: \(result.stderr)"))
        throw ProgramProblem(result.stderr)
    }
    return try JSONDecoder().decode(PNGStatistics.self, from: Data(result.stdout.utf8))
}
