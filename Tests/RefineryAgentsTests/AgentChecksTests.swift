import RefineryCore
import Refinery
import RefineryAgents
import RefineryTesting
import Testing

/// The ready agents' checks by code: what they read from a request, and what they catch.
@Suite("Ready agents' checks by code")
struct AgentChecksTests {
    @Test("the writer reads single-quoted words, exact counts and sentence counts, digits or words")
    func writerParsing() {
        let amber = WritingConstraints(parsing: "Write two sentences about tea. Use the word 'amber' exactly once.")
        #expect(amber == WritingConstraints(minSentences: 2, maxSentences: 2, exactCounts: [.init("amber", 1)]))
        let mixed = WritingConstraints(
            parsing: "In exactly 3 sentences, describe the sea. Mention \"salt\" and 'foam'. Don't use 'blue'. It's late.")
        #expect(mixed.minSentences == 3 && mixed.maxSentences == 3)
        #expect(mixed.requiredWords == ["salt", "foam"])
        #expect(mixed.forbiddenWords == ["blue"])
        #expect(WritingConstraints(parsing: "Write one sentence about a dog.").maxSentences == 1)
        #expect(WritingConstraints(parsing: "at most four sentences").maxSentences == 4)
        #expect(WritingConstraints(parsing: "Use 'moon' exactly 3 times.").exactCounts == [.init("moon", 3)])
        // Apostrophes are not quotes.
        #expect(WritingConstraints(parsing: "Use the writer's tone; don't ramble.").isEmpty)
        #expect(WritingConstraints(parsing: "Write about the house.").isEmpty)
    }

    @Test("the writer's checks count sentences and exact uses")
    func writerViolations() {
        let c = WritingConstraints(minSentences: 2, maxSentences: 2, exactCounts: [.init("amber", 1)])
        #expect(c.violations(of: "Amber tea glows. It is warm.").isEmpty)
        #expect(c.violations(of: "Amber tea glows, amber and warm. It is 3.5 degrees warmer.") == [
            "uses \"amber\" twice, needs exactly once"
        ])
        #expect(c.violations(of: "Tea glows amber.") == ["has 1 sentence, needs exactly 2 sentences"])
        #expect(WritingConstraints.sentences("Dr. Who? Yes! e.g. this 3.5 one.").count == 3)
        #expect(c.instructions.contains("exactly 2 sentences"))
        #expect(c.instructions.contains("use the word \"amber\" exactly once"))
        #expect(c.count == 2)
    }

    @Test("the summarizer cuts a summary back to whole sentences within its limit, and catches what the text lacks")
    func summarizerChecks() {
        #expect(Summarizer.fitted("One two three. Four five six. Seven eight", maxWords: 7) == "One two three. Four five six.")
        #expect(Summarizer.fitted("One two three four five six seven eight nine.", maxWords: 5) == "One two three four five six seven eight nine.")
        #expect(Summarizer.fitted("Short and done.", maxWords: 10) == "Short and done.")
        #expect(Summarizer.endsOnSentence("It ends here.\"") && !Summarizer.endsOnSentence("It ends with"))
        let source = "The council added 12 routes. Mayor Lina Park said the plan costs 40 million dollars."
        #expect(Summarizer.ungrounded("The council added 12 routes for 40 million dollars, Park said.", source: source).isEmpty)
        #expect(Summarizer.ungrounded("The council added 15 routes, said Governor Smith.", source: source) == [
            "the name \"Governor\" is not in the text", "the name \"Smith\" is not in the text",
            "the number 15 is not in the text",
        ])
        #expect(Summarizer.ungrounded("It costs 40,000 dollars.", source: "It costs 40000 dollars.").isEmpty)
    }

    @Test("the assistant checks a percentage the request asks for by code, whatever the calculator was asked")
    func assistantPercentages() {
        #expect(Assistant.statesPercentages(of: "What is 7 percent of 350?", in: "7 percent of 350 is 24.5.") == .pass)
        let wrong = Assistant.statesPercentages(of: "What is 7 percent of 350?", in: "7 percent of 350 is 0.02.")
        #expect(!wrong.passed && wrong.checks == 1)
        #expect(wrong.failures == ["the answer does not state 7 percent of 350, which is 24.5"])
        let two = Assistant.statesPercentages(of: "Compare 15% of $2,400 and 17.5 per cent of 80.", in: "360 and 14")
        #expect(two.passed && two.checks == 2)
        #expect(Assistant.statesPercentages(of: "What is 12 times 7?", in: "84").checks == 0)
    }

    @Test("the writer reads hyphenated counts: a two-sentence blurb, a 50-word note")
    func hyphenatedCounts() {
        let blurb = WritingConstraints(parsing: "Write a two-sentence product blurb. At most 35 words.")
        #expect(blurb.minSentences == 2 && blurb.maxSentences == 2 && blurb.maxWords == 35)
        let note = WritingConstraints(parsing: "A 50-word note about rain.")
        #expect(note.minWords == 45 && note.maxWords == 55)
    }

    @Test("the assistant checks that its answer states the numbers its tools returned")
    func assistantRestates() {
        var answer = Answer(task: "1234 * 5678?")
        answer.notes = [ToolCallRecord.notes([
            ToolCallRecord(name: "calculator", arguments: ["expression": "1234*5678"], result: "7006652", elapsed: .zero)
        ])]
        #expect(Assistant.restatesToolResults(answer.rewritten("It is 7,006,652.")) == .pass)
        let wrong = Assistant.restatesToolResults(answer.rewritten("It is 65928."))
        #expect(!wrong.passed && wrong.failures.first?.contains("7006652") == true)
        // No tool result to restate: nothing applies, and the answer stays unverified.
        #expect(Assistant.restatesToolResults(Answer(task: "hi").rewritten("Hello!")).checks == 0)
        #expect(Assistant.needsTool("Use the calculator: what is 1234 * 5678?", tools: ["calculator"]))
        #expect(Assistant.needsTool("what is 12 / 4", tools: []))
        #expect(Assistant.needsTool("What is 98765 minus 43210?", tools: []))
        #expect(!Assistant.needsTool("Tell me a joke about cats.", tools: ["calculator"]))
    }

    @Test("the extractor refuses an empty record for a text that names things")
    func extractorEmpty() {
        let empty = "{\"people\": [], \"organizations\": [], \"places\": [], \"dates\": [], \"amounts\": []}"
        #expect(!Extractor.check(empty, source: "Maria met Tom in Madrid.").passed)
        #expect(Extractor.check(empty, source: "nothing here at all.").passed)
    }
}

@Suite("Extractor's kinds")
struct ExtractorKindsTests {
    @Test("values filed under the wrong kind are caught by code")
    func misfiled() {
        let source = "Greenpeace activists met Mayor Tom Berg in Oslo."
        let wrong = #"{"people": ["Greenpeace activists"], "organizations": ["Mayor Tom Berg"], "places": ["Oslo"], "dates": [], "amounts": []}"#
        #expect(Extractor.check(wrong, source: source).failures == [
            "\"Greenpeace activists\" in people names an organization or a group, not a person",
            "\"Mayor Tom Berg\" in organizations is a person (it starts with a title)",
        ])
        let right = #"{"people": ["Tom Berg"], "organizations": ["Greenpeace"], "places": ["Oslo"], "dates": [], "amounts": []}"#
        #expect(Extractor.check(right, source: source).passed)
    }

    @Test("a sum of money the text states but the amounts leave out is caught by code")
    func missingAmount() {
        let source = "Marta Lopez, 41, signed a lease in Valencia on 3 March 2025 for 1,150 euros a month."
        let without = #"{"people": ["Marta Lopez"], "organizations": [], "places": ["Valencia"], "dates": ["3 March 2025"], "amounts": ["41"]}"#
        #expect(Extractor.check(without, source: source).failures == [
            "the text states the amount \"1,150 euros\", but amounts leaves it out"
        ])
        let with = #"{"people": ["Marta Lopez"], "organizations": [], "places": ["Valencia"], "dates": ["3 March 2025"], "amounts": ["1,150 euros"]}"#
        #expect(Extractor.check(with, source: source).passed)
        #expect(Extractor.moneyMentions(in: "It cost $300, then € 2.5 million, then 40 USD and 7 apples; 12 dollars later.")
            == ["$300", "€ 2.5 million", "40 USD", "12 dollars"])
        #expect(Extractor.moneyMentions(in: "Tom is 41 and lives at number 7.").isEmpty)
    }
}

@Suite("Extractor's proper names")
struct ExtractorNamesTests {
    static let galp = "On 2 May, Ana Costa of Lisbon sold 300 shares of Galp to Banco BPI for €4,500."
    static let kenji = "Kenji Sato paid 2,400 dollars to Hitachi for a used forklift in Osaka on 9 April."

    @Test("a proper name the text states but no field holds is caught by code, and named")
    func missingNames() {
        // The record the agent once called complete: Lisbon and Galp are nowhere ("BPI", misfiled
        // under places, still holds "Banco BPI").
        let returned = #"{"people": ["Ana Costa"], "organizations": [], "places": ["BPI"], "dates": ["2 May"], "amounts": ["€4,500"]}"#
        #expect(Extractor.check(returned, source: Self.galp).failures == [
            "the text names \"Lisbon\", which no field holds",
            "the text names \"Galp\", which no field holds",
        ])
        let bare = #"{"people": ["Ana Costa"], "organizations": [], "places": [], "dates": ["2 May"], "amounts": ["€4,500"]}"#
        let result = Extractor.check(bare, source: Self.galp)
        #expect(!result.passed)
        #expect(result.failures == [
            "the text names \"Lisbon\", which no field holds",
            "the text names \"Galp\", which no field holds",
            "the text names \"Banco BPI\", which no field holds",
        ])
        // 3 checks, 3 values, 4 names: 10 checks, 3 of them failed.
        #expect(result.checks == 10 && result.passedChecks == 7)
        let right = #"{"people": ["Ana Costa"], "organizations": ["Galp", "Banco BPI"], "places": ["Lisbon"], "dates": ["2 May"], "amounts": ["300 shares", "€4,500"]}"#
        #expect(Extractor.check(right, source: Self.galp).passed)
    }

    @Test("a correct record passes, and fails when it leaves out a place")
    func kenjiSato() {
        let right = #"{"people": ["Kenji Sato"], "organizations": ["Hitachi"], "places": ["Osaka"], "dates": ["9 April"], "amounts": ["2,400 dollars"]}"#
        let passed = Extractor.check(right, source: Self.kenji)
        #expect(passed.passed && passed.checks == 11 && passed.passedChecks == 11)
        let noOsaka = #"{"people": ["Kenji Sato"], "organizations": ["Hitachi"], "places": [], "dates": ["9 April"], "amounts": ["2,400 dollars"]}"#
        #expect(Extractor.check(noOsaka, source: Self.kenji).failures == ["the text names \"Osaka\", which no field holds"])
    }

    @Test("a name and a field value hold each other both ways, as whole words, case aside")
    func holding() {
        let source = "Ana Costa of Banco BPI called BPI support and Banana Republic."
        func check(_ organizations: String) -> [String] {
            Extractor.check(
                #"{"people": ["Ana"], "organizations": \#(organizations), "places": [], "dates": [], "amounts": []}"#,
                source: source
            ).failures
        }
        #expect(check(#"["BPI", "Banana Republic"]"#).isEmpty)
        #expect(check(#"["banco bpi", "banana republic"]"#).isEmpty)
        // "Ana" is inside "Banana", but not as a word: the name is still missing.
        #expect(check(#"["Banco BPI"]"#) == ["the text names \"Banana Republic\", which no field holds"])
    }

    @Test("proper names are runs of capitalized words, acronyms too, past a lone sentence opener")
    func properNames() {
        #expect(Extractor.properNames(in: Self.galp) == ["Ana Costa", "Lisbon", "Galp", "Banco BPI"])
        #expect(Extractor.properNames(in: Self.kenji) == ["Kenji Sato", "Hitachi", "Osaka"])
        // A sentence's first word alone is not a name; a common opener before a name is dropped.
        #expect(Extractor.properNames(in: "On 2 May the company grew. The company hired Ana. Yesterday it rained!") == ["Ana"])
        #expect(Extractor.properNames(in: "The Galp board met: Prices fell.\nYesterday Ana Costa left.") == ["Galp", "Ana Costa"])
        #expect(Extractor.properNames(in: "\"Shares rose,\" she said. It's late.").isEmpty)
        // Titles and their abbreviations are not names; the period after "Dr" ends no sentence.
        #expect(Extractor.properNames(in: "Dr. Ana Ruiz of Nokia visited Lima; she met Mayor Tom Berg and Dr. Sato.")
            == ["Ana Ruiz", "Nokia", "Lima", "Tom Berg", "Sato"])
        #expect(Extractor.properNames(in: "I think I'm late, and I'll call O'Brien about Galp's A320 order.") == ["O'Brien", "Galp"])
    }

    @Test("months, weekdays, currencies and nationalities are not names, and cut a run")
    func notNames() {
        #expect(Extractor.properNames(in: "It closed in March and reopened on Monday, 4 June 2024, at 9 AM.").isEmpty)
        #expect(Extractor.properNames(in: "Prices rose by 40 USD and 12 Euros in a French bank.").isEmpty)
        #expect(Extractor.properNames(in: "In May Ana Costa left. On Friday Galp said so.") == ["Ana Costa", "Galp"])
    }

    @Test("a text that names nothing passes with an empty record")
    func noNames() {
        let empty = #"{"people": [], "organizations": [], "places": [], "dates": [], "amounts": []}"#
        #expect(Extractor.properNames(in: "nothing here at all. The rain fell all day.").isEmpty)
        #expect(Extractor.check(empty, source: "nothing here at all. The rain fell all day.").passed)
        #expect(Extractor.check(empty, source: "").passed)
    }
}

@Suite("Summarizer's fitting")
struct SummarizerFittingTests {
    @Test("fitting keeps the sentences that mention key terms first, in their order")
    func keyTermsFirst() {
        let summary = "Bees pollinate crops. They make honey in hives. Colonies are lost to mites."
        #expect(Summarizer.fitted(summary, maxWords: 9, keyTerms: ["colonies"]) == "Bees pollinate crops. Colonies are lost to mites.")
        #expect(Summarizer.fitted(summary, maxWords: 9) == "Bees pollinate crops. They make honey in hives.")
    }
}

@Suite("Writer's repairs by cutting")
struct WriterRepairTests {
    let sea = WritingConstraints(parsing: #"Write two sentences about the sea. Use the word "blue". At most 20 words."#)

    @Test("a text with a sentence too many is cut back to the sentences that meet every constraint")
    func cutsSentences() {
        let text = "The blue sea is calm. Waves roll in slowly. Gulls cry over the harbour."
        #expect(sea.repaired(text) == "The blue sea is calm. Waves roll in slowly.")
        // The cut must keep the required word: it is not in the first two sentences here.
        let late = "The sea is calm. Waves roll in. The sky is blue."
        #expect(sea.repaired(late) == late)
    }

    @Test("a lead-in ending in a colon, and wrapping quotes, are taken off")
    func leadIn() {
        // 7 + 15 words: the lead-in breaks the 20-word limit, the text alone meets it.
        let text = "The blue sea is calm and wide today. Waves roll in slowly over the sand."
        #expect(sea.repaired("Here is my new answer for you: " + text) == text)
        #expect(sea.repaired("Here is my new answer for you:\n\"" + text + "\"") == text)
        // A lead-in that breaks nothing is the writer's to keep.
        #expect(sea.repaired("Note: the blue sea is calm. Waves roll in.") == "Note: the blue sea is calm. Waves roll in.")
    }

    @Test("code only deletes: a text missing a word or a sentence, or already right, is left as it was")
    func onlyDeletes() {
        #expect(sea.repaired("The sea is calm.") == "The sea is calm.")
        #expect(sea.repaired("The blue sea is calm.") == "The blue sea is calm.")
        let right = " The blue sea is calm. Waves roll in. "
        #expect(sea.repaired(right) == right)
        #expect(WritingConstraints().repaired("Anything: at all.") == "Anything: at all.")
    }
}

@Suite("Writer's forbidden words")
struct ForbiddenWordTests {
    @Test("a forbidden word is caught in its plural too")
    func plurals() {
        let c = WritingConstraints(forbiddenWords: ["water"])
        #expect(c.violations(of: "Blue waters float.") == ["contains the forbidden word \"water\" (as \"waters\"): remove it or use another word"])
        #expect(c.violations(of: "Watery light.").isEmpty)
    }

    @Test("the writer's model may not write a forbidden word, unless that would ban a word it must use")
    func bannedAtDecoding() {
        let model = ScriptedModel(name: "m", replies: [])
        let writer = Writer.agent(for: #"Two sentences about the sea. Avoid "water" and "salt". Use the word "saltmarsh"."#, model: model)
        #expect(writer.draft.avoidWords == ["water"])
        #expect(writer.refine?.avoidWords == ["water"])
        let phrase = Writer.agent(for: #"A line about tea. Avoid "green tea"."#, model: model)
        #expect(phrase.draft.avoidWords.isEmpty)
    }
}
