import Testing

@testable import BrigadeServer

/// The gate's counting, directly: which limit refuses, and that every release gives back
/// exactly one place.
@Suite struct ConnectionGateTests {
    static func state(connections: Int = 3, perClient: Int = 2, streams: Int = 1) -> ConnectionGate.State {
        var limits = ConnectionLimits()
        limits.maxConnections = connections
        limits.maxConnectionsPerClient = perClient
        limits.maxStreamsPerTenant = streams
        return ConnectionGate.State(limits: limits)
    }

    @Test func aClientPastItsShareIsRefusedAndOthersAreNot() {
        var state = Self.state()
        let answer1 = state.admitConnection(from: "a")
        #expect(answer1 == nil)
        let answer2 = state.admitConnection(from: "a")
        #expect(answer2 == nil)
        let answer3 = state.admitConnection(from: "a")
        #expect(answer3 == .client)
        let answer4 = state.admitConnection(from: "b")
        #expect(answer4 == nil)
        #expect(state.connections == 3)
    }

    @Test func theServerPastItsLimitRefusesEveryone() {
        var state = Self.state(connections: 2, perClient: 5)
        let answer5 = state.admitConnection(from: "a")
        #expect(answer5 == nil)
        let answer6 = state.admitConnection(from: "b")
        #expect(answer6 == nil)
        let answer7 = state.admitConnection(from: "c")
        #expect(answer7 == .server)
        state.releaseConnection(from: "a")
        let answer8 = state.admitConnection(from: "c")
        #expect(answer8 == nil)
        #expect(state.byClient == ["b": 1, "c": 1], "a client with no connection left is forgotten")
    }

    @Test func streamsAreCountedPerTenant() {
        var state = Self.state(streams: 1)
        let answer9 = state.admitStream(of: "acme")
        #expect(answer9)
        let answer10 = state.admitStream(of: "acme")
        #expect(!answer10)
        let answer11 = state.admitStream(of: "globex")
        #expect(answer11)
        state.releaseStream(of: "acme")
        #expect(state.streamsByTenant == ["globex": 1])
        let answer12 = state.admitStream(of: "acme")
        #expect(answer12)
    }
}
