import CardEmulator
import Foundation

/// How fast the emulated card answers.
public enum EmulationSpeed: String, Sendable, CaseIterable {
    /// As fast as the emulator can: for tests.
    case instant
    /// With the real card's processing and transfer times from the profile's `timing`, so that software tuned
    /// against the emulator does not time out on a real card.
    case real
}

/// Serves one emulated card to vsmartcard's vpcd reader driver inside pcscd, which then shows it to every PC/SC
/// program on the machine as a card in reader "Virtual PCD 00 0<slot>".
///
/// vpcd listens (server mode) and the card connects; vpcd sends, the card only answers. The server runs on its
/// own thread with blocking sockets: a card answers one message at a time, and the cooperative thread pool must
/// never block on a socket. It reconnects when pcscd restarts, and simulates pulling the card out (closing the
/// connection) and putting it back (connecting again).
public final class VPCDCardServer: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var address: VPCDAddress
        public var speed: EmulationSpeed
        /// Give up when vpcd has been unreachable this long; nil keeps trying for ever.
        public var giveUpAfter: Duration?
        /// How long a freshly accepted connection may wait for vpcd's first ATR request. vpcd polls every 400 ms;
        /// silence means the slot already has a card, or the port is not vpcd's.
        public var firstRequestTimeout: Duration
        public var connectTimeout: Duration

        public init(
            address: VPCDAddress, speed: EmulationSpeed = .instant, giveUpAfter: Duration? = .seconds(30),
            firstRequestTimeout: Duration = .seconds(5), connectTimeout: Duration = .seconds(2)
        ) {
            self.address = address
            self.speed = speed
            self.giveUpAfter = giveUpAfter
            self.firstRequestTimeout = firstRequestTimeout
            self.connectTimeout = connectTimeout
        }
    }

    /// What happened, for the person or program watching (`mynaconf emulate` prints one line for each).
    public enum Event: Sendable, Equatable {
        /// vpcd asked for the ATR for the first time: pcscd sees the card.
        case ready
        /// The card is back after `insert()`.
        case inserted
        /// vpcd is back after it went away (pcscd restarted).
        case reconnected
        /// The card is out after `remove()`.
        case removed
        /// The card is back in its profile's initial state.
        case restored
        /// vpcd went away; the server keeps trying to reconnect.
        case disconnected(String)
        /// vpcd cannot be reached (yet); said once per outage.
        case waiting(String)
        /// vpcd stayed unreachable longer than `giveUpAfter`; the server has stopped.
        case failed(TransportError)
        /// The server has stopped.
        case stopped
    }

    public let configuration: Configuration
    private let onEvent: @Sendable (Event) -> Void

    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var slot: VirtualCardSlot
    private var connection: VPCDSocket?
    private var wantsInserted = true
    /// A removal that ended (or is ending) the current connection; kept until the session reports it, so that a
    /// card put back at once is still seen as removed and inserted, not as a dropped connection.
    private var removalPending = false
    private var stopRequested = false
    private var started = false
    private var finished = false
    private var finishWaiters: [CheckedContinuation<Void, Never>] = []

    public init(
        slot: VirtualCardSlot, configuration: Configuration, onEvent: @escaping @Sendable (Event) -> Void = { _ in }
    ) {
        self.slot = slot
        self.configuration = configuration
        self.onEvent = onEvent
    }

    /// The card as it is now (tests look at counters and security state through this).
    public var card: EmulatedCard {
        condition.lock()
        defer { condition.unlock() }
        return slot.card
    }

    /// The interface the card is presented on.
    public var interface: CardInterface {
        condition.lock()
        defer { condition.unlock() }
        return slot.interface
    }

    /// Whether the card is in (not pulled out with `remove()`).
    public var isInserted: Bool {
        condition.lock()
        defer { condition.unlock() }
        return wantsInserted
    }

    /// Starts serving on a thread of its own. Calling it again does nothing.
    public func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !started else { return }
        started = true
        let thread = Thread { [self] in run() }
        thread.name = "vpcd card \(configuration.address)"
        thread.start()
    }

    /// Pulls the card out: vpcd sees the connection close and pcscd reports the card removed. Returns false if
    /// it was already out.
    @discardableResult
    public func remove() -> Bool {
        condition.lock()
        guard wantsInserted else {
            condition.unlock()
            return false
        }
        wantsInserted = false
        let connected = connection != nil
        if connected { removalPending = true }
        connection?.shutDown()
        condition.broadcast()
        condition.unlock()
        // While connected, the server thread reports the removal once the connection has closed.
        if !connected { onEvent(.removed) }
        return true
    }

    /// Puts the card back. Returns false if it was already in.
    @discardableResult
    public func insert() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !wantsInserted else { return false }
        wantsInserted = true
        condition.broadcast()
        return true
    }

    /// Restores the card to its profile's initial state, as the `FF EE` control command does.
    public func restore() {
        condition.lock()
        slot.restore()
        condition.unlock()
        onEvent(.restored)
    }

    /// Stops serving: the connection closes (pcscd reports the card removed) and the thread ends.
    public func stop() {
        condition.lock()
        stopRequested = true
        connection?.shutDown()
        condition.broadcast()
        condition.unlock()
    }

    /// Returns once the server has stopped (after `stop()`, or after giving up on vpcd).
    public func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            if finished {
                condition.unlock()
                continuation.resume()
                return
            }
            finishWaiters.append(continuation)
            condition.unlock()
        }
    }

    // MARK: - The server thread

    private enum SessionEnd {
        case stopped
        case removed
        case dropped(String)
        /// Connected, but vpcd never asked for the ATR.
        case silent
    }

    private func run() {
        let clock = ContinuousClock()
        var nextArrival = Event.ready
        var outageStart: ContinuousClock.Instant?
        var saidWaiting = false
        var backoff = Duration.milliseconds(50)
        sessions: while true {
            condition.lock()
            while !wantsInserted && !stopRequested { condition.wait() }
            let stopping = stopRequested
            condition.unlock()
            if stopping { break }

            let socket: VPCDSocket
            var failure: String
            do {
                socket = try VPCDSocket.connect(to: configuration.address, timeout: configuration.connectTimeout)
                let end = serve(socket, announcing: nextArrival) {
                    outageStart = nil
                    saidWaiting = false
                    backoff = .milliseconds(50)
                }
                switch end {
                case .stopped:
                    break sessions
                case .removed:
                    onEvent(.removed)
                    nextArrival = .inserted
                    outageStart = nil
                    saidWaiting = false
                    backoff = .milliseconds(50)
                    continue sessions
                case .dropped(let reason):
                    // A vpcd shutting down may accept and drop a few connections more: one line per outage.
                    if outageStart == nil {
                        onEvent(.disconnected("\(reason); reconnecting to vpcd at \(configuration.address)"))
                        outageStart = clock.now
                    }
                    nextArrival = .reconnected
                    saidWaiting = true
                    if !pause(backoff) { break sessions }
                    backoff = min(backoff * 2, .seconds(1))
                    continue sessions
                case .silent:
                    failure =
                        "connected to \(configuration.address), but vpcd did not ask for the ATR within "
                        + "\(configuration.firstRequestTimeout): another card may hold this slot, or the port is "
                        + "not vpcd's"
                }
            } catch {
                failure = error.message
            }
            // vpcd is not (yet) there: wait and retry, and give up after the configured time.
            let start = outageStart ?? clock.now
            outageStart = start
            if !saidWaiting {
                onEvent(.waiting(failure))
                saidWaiting = true
            }
            if let limit = configuration.giveUpAfter, clock.now - start >= limit {
                onEvent(
                    .failed(
                        TransportError(
                            .readerUnavailable,
                            "gave up after \(limit) without vpcd at \(configuration.address): \(failure)")))
                break sessions
            }
            if !pause(backoff) { break sessions }
            backoff = min(backoff * 2, .seconds(1))
        }
        condition.lock()
        finished = true
        let waiters = finishWaiters
        finishWaiters = []
        condition.unlock()
        onEvent(.stopped)
        for waiter in waiters { waiter.resume() }
    }

    /// One connection, from accept to close.
    private func serve(_ socket: VPCDSocket, announcing arrival: Event, onArrival: () -> Void) -> SessionEnd {
        condition.lock()
        guard wantsInserted && !stopRequested else {
            let end: SessionEnd = stopRequested ? .stopped : .removed
            condition.unlock()
            socket.close()
            return end
        }
        connection = socket
        removalPending = false
        // A card that comes (back) into the field starts from power on.
        _ = slot.reply(to: .powerOff)
        condition.unlock()
        defer {
            condition.lock()
            connection = nil
            condition.unlock()
            socket.close()
        }

        socket.setReceiveTimeout(configuration.firstRequestTimeout)
        var announced = false
        let timing = configuration.speed == .real
        while true {
            switch socket.receive() {
            case .message(let message):
                condition.lock()
                let reply = slot.reply(to: message)
                var latency: Duration?
                if timing, !reply.byReader, case .command(let command) = message {
                    latency = slot.card.profile.timing.latency(
                        command: command, responseLength: reply.bytes?.count ?? 0, interface: slot.interface)
                }
                condition.unlock()
                if reply.restored { onEvent(.restored) }
                if let latency, let end = waitOutLatency(latency) { return end }
                if let bytes = reply.bytes, !socket.send(bytes) { return endReason(or: "vpcd closed the connection") }
                if !announced, message == .getATR {
                    announced = true
                    socket.setReceiveTimeout(.zero)
                    onArrival()
                    onEvent(arrival)
                }
            case .closed:
                return endReason(or: "vpcd closed the connection")
            case .timedOut:
                return announced ? endReason(or: "vpcd stopped answering") : .silent
            case .failed(let reason):
                return endReason(or: "the connection to vpcd failed: \(reason)")
            }
        }
    }

    /// Why a session ended: a request from this side, or else vpcd's doing.
    private func endReason(or dropped: String = "interrupted") -> SessionEnd {
        condition.lock()
        defer { condition.unlock() }
        if stopRequested { return .stopped }
        if removalPending || !wantsInserted {
            removalPending = false
            return .removed
        }
        return .dropped(dropped)
    }

    /// Sleeps for `duration` unless a stop comes first; false if interrupted.
    private func pause(_ duration: Duration) -> Bool {
        let deadline = Self.deadline(after: duration)
        condition.lock()
        defer { condition.unlock() }
        while !stopRequested {
            if !condition.wait(until: deadline) { return true }
        }
        return false
    }

    /// Waits out a command's modelled latency; nil when it ran out, else why the session ends. The reason is taken
    /// under the lock, and a removal is remembered until reported, so a card put back at once still counts as removed.
    private func waitOutLatency(_ duration: Duration) -> SessionEnd? {
        let deadline = Self.deadline(after: duration)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if stopRequested { return .stopped }
            if removalPending || !wantsInserted {
                removalPending = false
                return .removed
            }
            if !condition.wait(until: deadline) { return nil }
        }
    }

    private static func deadline(after duration: Duration) -> Date {
        let (seconds, attoseconds) = duration.components
        return Date(timeIntervalSinceNow: Double(seconds) + Double(attoseconds) / 1e18)
    }
}
