import Foundation
import Testing

@testable import TaskpilotCore

@Suite("Quick add")
struct QuickAddParserTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let text: String
        let title: String
        var due: String? = nil
        var priority: TaskPriority? = nil
        var tags: [String] = []
        var rrule: String? = nil
        var fromCompletion = false
        var reminders: [Int] = []
        var testDescription: String { text }
    }

    /// Monday 23 November 2026, 10:00 in Paris.
    static let now = local("2026-11-23T10:00", zone("Europe/Paris"))

    static let cases: [Case] = [
        Case(
            text: "Pay rent every month on the 1st 9am p1 #home",
            title: "Pay rent",
            due: "2026-12-01 09:00",
            priority: .urgent,
            tags: ["home"],
            rrule: "FREQ=MONTHLY;BYMONTHDAY=1"
        ),
        Case(text: "buy milk tomorrow at 5pm", title: "buy milk", due: "2026-11-24 17:00"),
        // Times said in words, as the British and Australians say them.
        Case(text: "call mum at half 5 tomorrow", title: "call mum", due: "2026-11-24 17:30"),
        Case(text: "call mum tomorrow half five", title: "call mum", due: "2026-11-24 17:30"),
        Case(text: "pick up the kids at half past ten tomorrow", title: "pick up the kids", due: "2026-11-24 10:30"),
        Case(text: "school run tomorrow at quarter past 3", title: "school run", due: "2026-11-24 15:15"),
        Case(text: "train tomorrow at twenty to 8 am", title: "train", due: "2026-11-24 07:40"),
        Case(text: "leave tomorrow morning at quarter to 8", title: "leave", due: "2026-11-24 07:45"),
        Case(text: "pick up laundry quarter to 8 tomorrow", title: "pick up laundry", due: "2026-11-24 07:45"),
        Case(text: "bus twenty to 8 tomorrow", title: "bus", due: "2026-11-24 07:40"),
        Case(text: "dinner quarter to 7 tomorrow", title: "dinner", due: "2026-11-24 18:45"),
        Case(text: "lunch at quarter to 1 tomorrow", title: "lunch", due: "2026-11-24 12:45"),
        Case(text: "call mum at 5 past 6 tomorrow", title: "call mum", due: "2026-11-24 18:05"),
        Case(text: "pick up the kids at 3 o'clock tomorrow", title: "pick up the kids", due: "2026-11-24 15:00"),
        Case(text: "meeting tomorrow 10 to 12", title: "meeting 10 to 12", due: "2026-11-24"),
        Case(text: "cut the cake in half 2 times", title: "cut the cake in half 2 times"),
        Case(text: "call mum half 5 tomorrow", title: "call mum", due: "2026-11-24 17:30"),
        Case(text: "enjoy the sun", title: "enjoy the sun"),
        Case(text: "buy presents before christmas", title: "buy presents", due: "2026-12-24"),
        Case(text: "send cards by xmas eve", title: "send cards", due: "2026-12-24"),
        Case(text: "book the restaurant for new year's eve", title: "book the restaurant", due: "2026-12-31"),
        Case(text: "christmas shopping", title: "christmas shopping"),
        Case(text: "new year resolutions", title: "new year resolutions"),
        Case(text: "take a week off tomorrow", title: "take a week off", due: "2026-11-24"),
        Case(text: "plan a day trip on friday", title: "plan a day trip", due: "2026-11-27"),
        // Now is Monday: the weekend of next week, as "next friday" is its Friday.
        Case(text: "clean the garage next weekend", title: "clean the garage", due: "2026-12-05"),
        Case(
            text: "take out recycling every other thursday starting next week",
            title: "take out recycling",
            due: "2026-12-03",
            rrule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH"
        ),
        Case(text: "study for the sat", title: "study for the sat"),
        Case(text: "walk the dog every morning at 7", title: "walk the dog", due: "2026-11-24 07:00", rrule: "FREQ=DAILY"),
        Case(text: "renew passport on the 3rd of next month", title: "renew passport", due: "2026-12-03"),
        Case(text: "haircut a week from today", title: "haircut", due: "2026-11-30"),
        Case(text: "pay the plumber on monday week", title: "pay the plumber", due: "2026-11-30"),
        Case(text: "pay the plumber friday week", title: "pay the plumber", due: "2026-12-04"),
        Case(text: "wash car sat", title: "wash car", due: "2026-11-28"),
        Case(text: "fix bike sun", title: "fix bike", due: "2026-11-29"),
        Case(text: "pay rent on the 1st and 15th of each month", title: "pay rent", due: "2026-12-01", rrule: "FREQ=MONTHLY;BYMONTHDAY=1,15"),
        Case(text: "submit taxes tomorrow 5pm ping me 2 hours before", title: "submit taxes", due: "2026-11-24 17:00", reminders: [120]),
        Case(text: "pay rent 1st of every month", title: "pay rent", due: "2026-12-01", rrule: "FREQ=MONTHLY;BYMONTHDAY=1"),
        Case(text: "dinner the 3rd of january", title: "dinner", due: "2027-01-03"),
        Case(text: "dinner on the 3rd of january 8pm", title: "dinner", due: "2027-01-03 20:00"),
        Case(text: "meeting next tuesday 14:30", title: "meeting", due: "2026-12-01 14:30"),
        Case(text: "Call Ann in 3 days", title: "Call Ann", due: "2026-11-26"),
        Case(text: "Send report by Friday", title: "Send report", due: "2026-11-27"),
        Case(text: "Send report by fri", title: "Send report", due: "2026-11-27"),
        Case(text: "Stand-up every weekday at 9:30", title: "Stand-up", due: "2026-11-24 09:30", rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
        Case(text: "Gym every other monday 7am", title: "Gym", due: "2026-11-30 07:00", rrule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"),
        Case(text: "Water plants every 3 days", title: "Water plants", due: "2026-11-23", rrule: "FREQ=DAILY;INTERVAL=3"),
        Case(text: "Review every month on the last day", title: "Review", due: "2026-11-30", rrule: "FREQ=MONTHLY;BYMONTHDAY=-1"),
        Case(text: "Backup every! 2 weeks", title: "Backup", due: "2026-11-23", rrule: "FREQ=WEEKLY;INTERVAL=2", fromCompletion: true),
        Case(text: "Call mom p2", title: "Call mom", priority: .high),
        // Importance at the end of the text is a priority, not part of the title.
        Case(text: "call mom friday evening, it's important", title: "call mom", due: "2026-11-27 18:00", priority: .high),
        Case(text: "Submit report urgent by wednesday #work", title: "Submit report", due: "2026-11-25", priority: .urgent, tags: ["work"]),
        Case(text: "Book flights asap", title: "Book flights", priority: .urgent),
        Case(text: "Renew passport - very important!", title: "Renew passport", priority: .urgent),
        Case(text: "Urgent care visit tomorrow", title: "Urgent care visit", due: "2026-11-24"),
        Case(text: "Make the intro more important", title: "Make the intro more important"),
        Case(text: "Important", title: "Important"),
        Case(text: "Take out trash every week on sunday evening", title: "Take out trash", due: "2026-11-29 18:00", rrule: "FREQ=WEEKLY;BYDAY=SU"),
        Case(text: "Evening walk every day", title: "Evening walk", due: "2026-11-23", rrule: "FREQ=DAILY"),
        Case(text: "Fix bug !high #work #Urgent", title: "Fix bug", priority: .high, tags: ["urgent", "work"]),
        Case(text: "Submit taxes remind me 2 hours before tomorrow 5pm", title: "Submit taxes", due: "2026-11-24 17:00", reminders: [120]),
        Case(text: "dentist thursday 3pm remind me the day before", title: "dentist", due: "2026-11-26 15:00", reminders: [1440]),
        Case(
            text: "remind me to pay rent on the 1st of every month at 9am",
            title: "Pay rent",
            due: "2026-12-01 09:00",
            rrule: "FREQ=MONTHLY;BYMONTHDAY=1",
            reminders: [0]
        ),
        Case(text: "Read chapter 5", title: "Read chapter 5"),
        Case(text: "Buy 2 apples", title: "Buy 2 apples"),
        Case(text: "Meet at the cafe", title: "Meet at the cafe"),
        Case(text: "Call Bob at 5", title: "Call Bob", due: "2026-11-23 17:00"),
        Case(text: "Lunch at noon", title: "Lunch", due: "2026-11-23 12:00"),
        Case(text: "Dentist Dec 3 at 10:15am", title: "Dentist", due: "2026-12-03 10:15"),
        Case(text: "Trip 1st of March", title: "Trip", due: "2027-03-01"),
        Case(text: "Party on 2026-12-31 at 20:00", title: "Party", due: "2026-12-31 20:00"),
        Case(text: "Pay bills on the 15th", title: "Pay bills", due: "2026-12-15"),
        Case(text: "Plan today", title: "Plan", due: "2026-11-23"),
        Case(text: "Movie tonight", title: "Movie", due: "2026-11-23 20:00"),
        Case(text: "Report end of month", title: "Report", due: "2026-11-30"),
        Case(text: "Clean every saturday", title: "Clean", due: "2026-11-28", rrule: "FREQ=WEEKLY;BYDAY=SA"),
        Case(text: "Yoga every tue and thu at 18:00", title: "Yoga", due: "2026-11-24 18:00", rrule: "FREQ=WEEKLY;BYDAY=TU,TH"),
        Case(text: "Invoice every 15th", title: "Invoice", due: "2026-12-15", rrule: "FREQ=MONTHLY;BYMONTHDAY=15"),
        Case(text: "Call in 2 hours", title: "Call", due: "2026-11-23 12:00"),
        Case(text: "Daily standup daily at 9am", title: "Daily standup", due: "2026-11-24 09:00", rrule: "FREQ=DAILY"),
        Case(text: "Pay rent monthly", title: "Pay rent", due: "2026-11-23", rrule: "FREQ=MONTHLY;BYMONTHDAY=23"),
        Case(
            text: "Renew passport every year until Dec 31 2030",
            title: "Renew passport",
            due: "2026-11-23",
            rrule: "FREQ=YEARLY;BYMONTHDAY=23;UNTIL=20301231T225959Z"
        ),
        Case(text: "Take pills every day for 10 times", title: "Take pills", due: "2026-11-23", rrule: "FREQ=DAILY;COUNT=10"),
        // Endings after the time of day still end the series (they became the due date, or stayed in the title).
        Case(
            text: "standup every weekday at 9am until jan 15",
            title: "standup",
            due: "2026-11-24 09:00",
            rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20270115T225959Z"
        ),
        Case(text: "pill every day at 8am for 5 times", title: "pill", due: "2026-11-24 08:00", rrule: "FREQ=DAILY;COUNT=5"),
        Case(text: "wait until friday", title: "wait until", due: "2026-11-27"),
        // A numeric date where a date is meant; a fraction stays a fraction.
        Case(text: "report due 12/25 at 3pm", title: "report", due: "2026-12-25 15:00"),
        Case(text: "dentist 12/8", title: "dentist", due: "2026-12-08"),
        Case(text: "read 1/2 of the book", title: "read 1/2 of the book"),
        // A first number past 12 is no month: day first.
        Case(text: "renew car tax 31/01/2027", title: "renew car tax", due: "2027-01-31"),
        Case(text: "party on 24/12", title: "party", due: "2026-12-24"),
        // An ordinal before a unit is an interval; "in 2 weeks on thursday" is the Thursday of that week.
        Case(text: "water plants every 3rd day", title: "water plants", due: "2026-11-23", rrule: "FREQ=DAILY;INTERVAL=3"),
        Case(text: "payroll every second week on friday", title: "payroll", due: "2026-11-27", rrule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"),
        Case(text: "x every 2nd day of the month", title: "x", due: "2026-12-02", rrule: "FREQ=MONTHLY;BYMONTHDAY=2"),
        Case(text: "dentist in two weeks on thursday", title: "dentist", due: "2026-12-10"),
        // The end of a period said with "this" or "next"; a weekend after "over", "at", "on".
        Case(text: "finish report by end of next week", title: "finish report", due: "2026-12-04"),
        Case(text: "finish report by the end of this week", title: "finish report", due: "2026-11-27"),
        Case(text: "close the books by the end of next month", title: "close the books", due: "2026-12-31"),
        Case(text: "taxes by end of year", title: "taxes", due: "2026-12-31"),
        Case(text: "plan trip over the weekend", title: "plan trip", due: "2026-11-28"),
        Case(text: "call grandma at the weekend", title: "call grandma", due: "2026-11-28"),
        Case(text: "plan the weekend trip", title: "plan the weekend trip"),
        // Weekdays as one word: a list with slashes, a span with a dash.
        Case(text: "standup mon-fri 9am", title: "standup", due: "2026-11-24 09:00", rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
        Case(text: "gym mon/wed/fri 7am", title: "gym", due: "2026-11-25 07:00", rrule: "FREQ=WEEKLY;BYDAY=MO,WE,FR"),
        Case(text: "gym mwf 7am", title: "gym", due: "2026-11-25 07:00", rrule: "FREQ=WEEKLY;BYDAY=MO,WE,FR"),
        Case(text: "yoga every tth 6pm", title: "yoga", due: "2026-11-24 18:00", rrule: "FREQ=WEEKLY;BYDAY=TU,TH"),
        Case(text: "yoga every tue/thu", title: "yoga", due: "2026-11-24", rrule: "FREQ=WEEKLY;BYDAY=TU,TH"),
        Case(text: "on call every sat-sun", title: "on call", due: "2026-11-28", rrule: "FREQ=WEEKLY;BYDAY=SA,SU"),
        Case(text: "read pages 10-12", title: "read pages 10-12"),
        // Every so many hours: from a time said (today's while to come), or from the next full hour (now is 10:00).
        Case(text: "drink water every 2 hours", title: "drink water", due: "2026-11-23 11:00", rrule: "FREQ=HOURLY;INTERVAL=2"),
        Case(text: "meds every 8 hours from 2pm", title: "meds", due: "2026-11-23 14:00", rrule: "FREQ=HOURLY;INTERVAL=8"),
        Case(text: "check the server hourly", title: "check the server", due: "2026-11-23 11:00", rrule: "FREQ=HOURLY"),
        Case(text: "stretch every hour tomorrow", title: "stretch", due: "2026-11-24 09:00", rrule: "FREQ=HOURLY"),
        Case(text: "Hourly check", title: "Hourly check"),
        Case(text: "stretch every 30 minutes", title: "stretch every 30 minutes"),
        Case(text: "drink water every hour until 6pm", title: "drink water", due: "2026-11-23 11:00", rrule: "FREQ=HOURLY;UNTIL=20261123T170000Z"),
        Case(text: "meds every 6 hours for 3 days", title: "meds", due: "2026-11-23 11:00", rrule: "FREQ=HOURLY;INTERVAL=6;COUNT=12"),
        // Found by a tester: a date once a year said with its month, labels of importance, short words.
        Case(text: "birthday every march 3", title: "birthday", due: "2027-03-03", rrule: "FREQ=YEARLY;BYMONTHDAY=3"),
        Case(text: "anniversary every 3rd of june 7pm", title: "anniversary", due: "2027-06-03 19:00", rrule: "FREQ=YEARLY;BYMONTHDAY=3"),
        Case(text: "leap day party every year on feb 29", title: "leap day party", due: "2027-02-28", rrule: "FREQ=YEARLY;BYMONTHDAY=29"),
        Case(text: "pay rent every 3rd of the month", title: "pay rent", due: "2026-12-03", rrule: "FREQ=MONTHLY;BYMONTHDAY=3"),
        Case(text: "x every 6th friday", title: "x every 6th friday"),
        Case(text: "urgent: call the bank", title: "call the bank", priority: .urgent),
        Case(text: "call the bank !2", title: "call the bank", priority: .high),
        Case(text: "call the bank !1", title: "call the bank", priority: .urgent),
        Case(text: "high priority: call the bank", title: "call the bank", priority: .high),
        Case(text: "review the deck next wk", title: "review the deck", due: "2026-11-30"),
        Case(text: "call back in half an hour", title: "call back", due: "2026-11-23 10:30"),
        Case(text: "call bob tue afternoon", title: "call bob", due: "2026-11-24 14:00"),
        // A time said with a part of the day is that time, on that part's half of the clock.
        Case(text: "finish slides tonight at 10pm", title: "finish slides", due: "2026-11-23 22:00"),
        Case(text: "call tomorrow morning at 7", title: "call", due: "2026-11-24 07:00"),
        Case(text: "jog this evening at 7", title: "jog", due: "2026-11-23 19:00"),
        Case(text: "meds tomorrow night at 10", title: "meds", due: "2026-11-24 22:00"),
        Case(text: "read tonight", title: "read", due: "2026-11-23 20:00"),
        Case(text: "dinner tomorrow at 19h30", title: "dinner", due: "2026-11-24 19:30"),
        // A reminder at a clock time of a repeating task counts from its due time, to come with every occurrence.
        Case(
            text: "trash every monday, remind me the night before",
            title: "trash",
            due: "2026-11-23",
            rrule: "FREQ=WEEKLY;BYDAY=MO",
            reminders: [780]
        ),
        Case(
            text: "class every friday 9am remind me the evening before",
            title: "class",
            due: "2026-11-27 09:00",
            rrule: "FREQ=WEEKLY;BYDAY=FR",
            reminders: [900]
        ),
        Case(
            text: "take pills every day at 9pm remind me at 8pm",
            title: "take pills",
            due: "2026-11-23 21:00",
            rrule: "FREQ=DAILY",
            reminders: [60]
        ),
        // A reminder at a time is that time of the (first) due day: 7 hours before a Friday 16:00.
        Case(
            text: "submit payroll every other friday at 4pm remind me at 9am",
            title: "submit payroll",
            due: "2026-11-27 16:00",
            rrule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR",
            reminders: [420]
        ),
        // Now is Monday 23 November: "last monday" is the 16th, "last friday" the 20th.
        Case(text: "old report last monday", title: "old report", due: "2026-11-16"),
        Case(text: "expenses from last fri", title: "expenses", due: "2026-11-20"),
        Case(text: "call the bank tomorrow at 9h", title: "call the bank", due: "2026-11-24 09:00"),
        Case(text: "dinner friday 20h", title: "dinner", due: "2026-11-27 20:00"),
        Case(text: "run 5h marathon training plan", title: "run 5h marathon training plan"),
        // A weekday that is today, at a time that has passed (now is Monday 10:00), is next week's; later today stays.
        Case(text: "standup monday 9am", title: "standup", due: "2026-11-30 09:00"),
        Case(text: "standup monday 11am", title: "standup", due: "2026-11-23 11:00"),
        // Exclamation marks end words as other punctuation does.
        Case(text: "call mom tomorrow!", title: "call mom", due: "2026-11-24"),
        Case(text: "Submit report by Friday 5pm!!", title: "Submit report", due: "2026-11-27 17:00"),
        Case(text: "Backup every! week", title: "Backup", due: "2026-11-23", rrule: "FREQ=WEEKLY", fromCompletion: true),
        // Several times a day: the hours join the rule; the first time still to come is due (now is 10:00).
        Case(text: "take pills every day at 8am and 8pm", title: "take pills", due: "2026-11-23 20:00", rrule: "FREQ=DAILY;BYHOUR=8,20"),
        Case(text: "meds at 8am, 2pm and 8pm every day", title: "meds", due: "2026-11-23 14:00", rrule: "FREQ=DAILY;BYHOUR=8,14,20"),
        Case(text: "meds daily at 8pm and at 8am", title: "meds", due: "2026-11-23 20:00", rrule: "FREQ=DAILY;BYHOUR=8,20"),
        Case(
            text: "check email every weekday at 9:30 and 17:30",
            title: "check email",
            due: "2026-11-23 17:30",
            rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9,17"
        ),
        Case(text: "water plants every day at 8am and 8:30pm", title: "water plants and 8:30pm", due: "2026-11-24 08:00", rrule: "FREQ=DAILY"),
        // Every so many hours within a span of the day: those hours every day.
        Case(
            text: "drink water every 2 hours from 8am to 8pm",
            title: "drink water",
            due: "2026-11-23 12:00",
            rrule: "FREQ=DAILY;BYHOUR=8,10,12,14,16,18,20"
        ),
        Case(
            text: "stretch hourly between 9am and 5pm",
            title: "stretch",
            due: "2026-11-23 11:00",
            rrule: "FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16,17"
        ),
        Case(text: "eat every 5 hours 8am-8pm", title: "eat", due: "2026-11-23 13:00", rrule: "FREQ=DAILY;BYHOUR=8,13,18"),
        Case(text: "meds every 8 hours from 8am to 2pm", title: "meds", due: "2026-11-24 08:00", rrule: "FREQ=DAILY"),
        Case(text: "review in 1 week friday 3pm", title: "review", due: "2026-12-04 15:00"),
        Case(text: "buy 1/2 cup flour", title: "buy 1/2 cup flour"),
        // A weekday by its place in the month makes a rule; one such day without "every" is a date when its month is
        // said, and otherwise its words stay rather than a date that would be a guess.
        Case(text: "book club every 2nd tuesday", title: "book club", due: "2026-12-08", rrule: "FREQ=MONTHLY;BYDAY=TU;BYSETPOS=2"),
        Case(text: "x every last friday of the month", title: "x", due: "2026-11-27", rrule: "FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1"),
        Case(text: "dentist on the first monday", title: "dentist on the first monday"),
        Case(text: "party by the first friday", title: "party by the first friday"),
        Case(text: "party the last friday of the month", title: "party", due: "2026-11-27"),
        Case(text: "submit timesheet on the last friday of the month 5pm", title: "submit timesheet", due: "2026-11-27 17:00"),
        // The first Monday of November has passed: the month's next one is December's; "this month" is this month's.
        Case(text: "x on the first monday of the month", title: "x", due: "2026-12-07"),
        Case(text: "x the first monday of this month", title: "x", due: "2026-11-02"),
        Case(text: "party on the first friday of next month at 8pm", title: "party", due: "2026-12-04 20:00"),
        Case(text: "dentist the second tuesday of january 10am", title: "dentist", due: "2027-01-12 10:00"),
        Case(text: "vote the first tuesday in november 2027", title: "vote", due: "2027-11-02"),
        Case(text: "thanksgiving the fourth thursday of november", title: "thanksgiving", due: "2026-11-26"),
        Case(text: "close the books by the last business day of the month", title: "close the books", due: "2026-11-30"),
        // Dots: "7.30pm" is a time, "15.12." a date (day first); a number with a dot alone is neither.
        Case(text: "dinner next saturday 7.30pm", title: "dinner", due: "2026-12-05 19:30"),
        Case(text: "call mum at 7.15", title: "call mum", due: "2026-11-23 19:15"),
        Case(text: "pay 12.50 at 3pm", title: "pay 12.50", due: "2026-11-23 15:00"),
        Case(text: "Meeting on 15.12. at 10", title: "Meeting", due: "2026-12-15 10:00"),
        Case(text: "dentist 3.1.2027", title: "dentist", due: "2027-01-03"),
        Case(text: "renew by 1.3", title: "renew", due: "2027-03-01"),
        Case(text: "read chapter 2.5 notes", title: "read chapter 2.5 notes"),
        Case(text: "release 1.2.24 notes", title: "release 1.2.24 notes"),
        Case(text: "party on 3.1.27", title: "party", due: "2027-01-03"),
        Case(text: "Meeting next week", title: "Meeting", due: "2026-11-30"),
        Case(text: "Something next month", title: "Something", due: "2026-12-01"),
        Case(text: "x #tag1 #Tag1", title: "x", tags: ["tag1"]),
        Case(text: "Email p5", title: "Email p5"),
        Case(text: "Weekend trip this weekend", title: "Weekend trip", due: "2026-11-28"),
        Case(text: "the 50th thing", title: "the 50th thing"),
        Case(text: "in a week check results", title: "check results", due: "2026-11-30"),
        Case(text: "Dinner at 7pm tomorrow", title: "Dinner", due: "2026-11-24 19:00"),
        Case(text: "call at 25:00", title: "call at 25:00"),
        Case(text: "alarm 7am every day", title: "alarm", due: "2026-11-24 07:00", rrule: "FREQ=DAILY"),
        Case(text: "Report by eow", title: "Report", due: "2026-11-27"),
        Case(text: "priority high fix the sink", title: "fix the sink", priority: .high),
        Case(text: "Buy milk @ 6pm", title: "Buy milk", due: "2026-11-23 18:00"),
        Case(
            text: "Standup on weekdays at 9 with the team",
            title: "Standup with the team",
            due: "2026-11-24 09:00",
            rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
        ),
        Case(text: "Pay rent every month on the 1st and 15th", title: "Pay rent", due: "2026-12-01", rrule: "FREQ=MONTHLY;BYMONTHDAY=1,15"),
        Case(text: "Check logs every 2 days at 8pm", title: "Check logs", due: "2026-11-23 20:00", rrule: "FREQ=DAILY;INTERVAL=2"),
        Case(text: "Newsletter every week on friday", title: "Newsletter", due: "2026-11-27", rrule: "FREQ=WEEKLY;BYDAY=FR"),
        Case(text: "Haircut every! 6 weeks", title: "Haircut", due: "2026-11-23", rrule: "FREQ=WEEKLY;INTERVAL=6", fromCompletion: true),
        Case(
            text: "Quarterly report every 3 months on the 1st",
            title: "Quarterly report",
            due: "2026-12-01",
            rrule: "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1"
        ),
        Case(text: "Anniversary every year", title: "Anniversary", due: "2026-11-23", rrule: "FREQ=YEARLY;BYMONTHDAY=23"),
        Case(text: "Team sync every mon, wed, fri 10:30", title: "Team sync", due: "2026-11-23 10:30", rrule: "FREQ=WEEKLY;BYDAY=MO,WE,FR"),
        Case(text: "Flight December 24th 6:45am", title: "Flight", due: "2026-12-24 06:45"),
        Case(text: "Flight 24 dec 2027", title: "Flight", due: "2027-12-24"),
        Case(text: "Meeting this friday at 3pm", title: "Meeting", due: "2026-11-27 15:00"),
        Case(text: "Meeting next friday", title: "Meeting", due: "2026-12-04"),
        Case(text: "Meeting monday", title: "Meeting", due: "2026-11-23"),
        Case(text: "Meeting on sunday", title: "Meeting", due: "2026-11-29"),
        Case(text: "Read 30 pages in the evening", title: "Read 30 pages", due: "2026-11-23 18:00"),
        Case(text: "Call dad tmrw morning", title: "Call dad", due: "2026-11-24 09:00"),
        Case(text: "Tidy up this evening", title: "Tidy up", due: "2026-11-23 18:00"),
        Case(text: "Weekly review weekly on friday", title: "Weekly review", due: "2026-11-27", rrule: "FREQ=WEEKLY;BYDAY=FR"),
        Case(text: "Tomorrow call mom", title: "call mom", due: "2026-11-24"),
        Case(text: "Ship it day after tomorrow", title: "Ship it", due: "2026-11-25"),
        Case(text: "Pay invoice #bills p3 due friday", title: "Pay invoice", due: "2026-11-27", priority: .medium, tags: ["bills"]),
        Case(text: "Backup remind me 30m before tomorrow 8am", title: "Backup", due: "2026-11-24 08:00", reminders: [30]),
        // Without "me", several at once, and said again after "and".
        Case(text: "Dentist tomorrow 3pm remind 15 min before", title: "Dentist", due: "2026-11-24 15:00", reminders: [15]),
        Case(text: "Flight friday 6am remind me 1 day and 2 hours before", title: "Flight", due: "2026-11-27 06:00", reminders: [1440, 120]),
        Case(
            text: "Flight friday 6am remind me 1 day before and again 1 hour before",
            title: "Flight",
            due: "2026-11-27 06:00",
            reminders: [1440, 60]
        ),
        Case(text: "Call mom tomorrow 5pm remind me 30m, 10m before", title: "Call mom", due: "2026-11-24 17:00", reminders: [30, 10]),
        Case(
            text: "Call mom tomorrow 5pm remind me 1 day before, 2 hours before",
            title: "Call mom",
            due: "2026-11-24 17:00",
            reminders: [1440, 120]
        ),
        Case(text: "Walk remind me 1 day before 5 min walk tomorrow", title: "Walk 5 min walk", due: "2026-11-24", reminders: [1440]),
        Case(
            text: "Exam monday 9am reminders 1 week, 1 day and 1 hour before",
            title: "Exam",
            due: "2026-11-30 09:00",
            reminders: [10_080, 1440, 60]
        ),
        Case(text: "Remind John about the budget tomorrow", title: "Remind John about the budget", due: "2026-11-24"),
        Case(text: "Remind the team at standup friday", title: "Remind the team at standup", due: "2026-11-27"),
        Case(text: "Call the bank in 45 minutes", title: "Call the bank", due: "2026-11-23 10:45"),
        Case(text: "Check in 1 hour", title: "Check", due: "2026-11-23 11:00"),
        Case(text: "Sat with the cat", title: "Sat with the cat"),
        Case(
            text: "standup every weekday 9am until the end of december",
            title: "standup",
            due: "2026-11-24 09:00",
            rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20261231T225959Z"
        ),
        Case(text: "review PRs daily at 10am for 5 days", title: "review PRs", due: "2026-11-24 10:00", rrule: "FREQ=DAILY;COUNT=5"),
        Case(
            text: "check the garden every other week for 6 weeks",
            title: "check the garden",
            due: "2026-11-23",
            rrule: "FREQ=WEEKLY;INTERVAL=2;COUNT=3"
        ),
        // Several days a week are not counted in weeks: the words stay in the title.
        Case(text: "run mon and thu for 4 weeks", title: "run for 4 weeks", due: "2026-11-23", rrule: "FREQ=WEEKLY;BYDAY=MO,TH"),
        // Words in quotes are the title, whatever they say; a connector left dangling is dropped.
        Case(text: "'fix the bike' with low priority", title: "fix the bike", priority: .low),
        Case(text: "“meeting notes for friday” p2 tomorrow", title: "meeting notes for friday", due: "2026-11-24", priority: .high),
        Case(text: "Read \"Dune\" by sunday", title: "Read \"Dune\"", due: "2026-11-29"),
        Case(text: "Lunch with Ann tomorrow", title: "Lunch with Ann", due: "2026-11-24"),
        // A span of time is due when it starts; a start without am/pm takes the end's, unless that puts it after the end.
        Case(text: "call with Bob tomorrow 2-3pm", title: "call with Bob", due: "2026-11-24 14:00"),
        Case(text: "meeting from 11 to 1pm on friday", title: "meeting", due: "2026-11-27 11:00"),
        Case(text: "lunch between 12 and 1pm tomorrow", title: "lunch", due: "2026-11-24 12:00"),
        Case(text: "standup 9:30–9:45 tomorrow", title: "standup", due: "2026-11-24 09:30"),
        Case(text: "workshop tomorrow 10am - 4pm", title: "workshop", due: "2026-11-24 10:00"),
        Case(text: "order 2-3 pizzas tomorrow", title: "order 2-3 pizzas", due: "2026-11-24"),
        Case(text: "call Ann at 5 to discuss the offer", title: "call Ann to discuss the offer", due: "2026-11-23 17:00"),
        // After an article or a possessive, "weekly" and the like describe the thing.
        Case(text: "file the quarterly taxes april 15", title: "file the quarterly taxes", due: "2027-04-15"),
        Case(text: "submit my weekly report friday", title: "submit my weekly report", due: "2026-11-27"),
        Case(text: "submit the report weekly on friday", title: "submit the report", due: "2026-11-27", rrule: "FREQ=WEEKLY;BYDAY=FR"),
        Case(text: "a weekly review on fridays at 4pm", title: "a review", due: "2026-11-27 16:00", rrule: "FREQ=WEEKLY;BYDAY=FR"),
        // Before the thing it describes, a schedule word is part of the title, and the task is done once.
        Case(text: "finish quarterly report by friday 5pm", title: "finish quarterly report", due: "2026-11-27 17:00"),
        Case(text: "send weekly update to the team tomorrow", title: "send weekly update to the team", due: "2026-11-24"),
        Case(text: "prepare monthly newsletter by friday", title: "prepare monthly newsletter", due: "2026-11-27"),
        Case(text: "write daily log", title: "write daily log"),
        Case(text: "call mom weekly tomorrow", title: "call mom", due: "2026-11-24", rrule: "FREQ=WEEKLY"),
        Case(text: "call Sam later today", title: "call Sam", due: "2026-11-23"),
        Case(text: "send invoice first thing tomorrow", title: "send invoice", due: "2026-11-24 09:00"),
        Case(text: "submit form by eod friday", title: "submit form", due: "2026-11-27"),
        Case(text: "submit report by friday eod", title: "submit report", due: "2026-11-27"),
        Case(text: "renew passport in a fortnight", title: "renew passport", due: "2026-12-07"),
        Case(text: "- buy eggs tomorrow", title: "buy eggs", due: "2026-11-24"),
        // "cob" is a day's end only after a day; first in the text, a short weekday is a day before a time.
        Case(text: "buy a cob loaf thursday", title: "buy a cob loaf", due: "2026-11-26"),
        Case(text: "corn on the cob", title: "corn on the cob"),
        Case(text: "tue 3pm dentist", title: "dentist", due: "2026-11-24 15:00"),
        Case(text: "sat 10am call mom", title: "call mom", due: "2026-11-28 10:00"),
        Case(text: "sat exam prep", title: "sat exam prep"),
        Case(text: "• call mom", title: "call mom"),
        Case(text: "[ ] pay rent", title: "pay rent"),
        Case(text: "-x marks the spot", title: "-x marks the spot"),
        Case(text: "-5 degrees: check the heating", title: "-5 degrees: check the heating"),
        Case(text: "pay the bill a fortnight from now", title: "pay the bill", due: "2026-12-07"),
        Case(text: "tesco delivery wed 8-9am", title: "tesco delivery", due: "2026-11-25 08:00"),
        Case(text: "meeting fri 2-3pm", title: "meeting", due: "2026-11-27 14:00"),
        Case(text: "call fri from 2 to 3pm", title: "call", due: "2026-11-27 14:00"),
        Case(text: "send the deck tomorrow by end of day", title: "send the deck", due: "2026-11-24"),
        Case(text: "report due end of day friday", title: "report", due: "2026-11-27"),
        Case(text: "sign contract thursday cob", title: "sign contract", due: "2026-11-26"),
        Case(text: "lunch at noon tomorrow !!", title: "lunch", due: "2026-11-24 12:00", priority: .high),
        Case(text: "fix the outage !!!", title: "fix the outage", priority: .urgent),
        Case(text: "finally done!! tomorrow", title: "finally done!!", due: "2026-11-24"),
        Case(text: "party the day after tomorrow at noon", title: "party", due: "2026-11-25 12:00"),
        // "#42" is a number, not a tag.
        Case(text: "review PR #42 #work", title: "review PR #42", tags: ["work"]),
        // An abbreviated day without "on" is a day when a time follows it, or when it comes last but for tags and
        // priority, unless it is also a word.
        Case(text: "dentist tue 3pm", title: "dentist", due: "2026-11-24 15:00"),
        Case(text: "Call Bob fri at 10", title: "Call Bob", due: "2026-11-27 10:00"),
        Case(text: "gym mon", title: "gym", due: "2026-11-23"),
        Case(text: "report thu #work p1", title: "report", due: "2026-11-26", priority: .urgent, tags: ["work"]),
        Case(text: "Picnic sat 11am", title: "Picnic", due: "2026-11-28 11:00"),
        Case(text: "Enjoy the sun", title: "Enjoy the sun"),
        Case(text: "Study for the sat", title: "Study for the sat"),
        Case(text: "wed plans with Ann", title: "wed plans with Ann"),
        Case(text: "May the force be with you", title: "May the force be with you"),
        Case(text: "March 5 protest", title: "protest", due: "2027-03-05"),
        Case(text: "Every little thing", title: "Every little thing"),
        Case(text: "Renew domain in 2 months", title: "Renew domain", due: "2027-01-23"),
        Case(text: "remind me to call Alice", title: "Call Alice"),
        Case(text: "Pay 1.5k to John on the 30th", title: "Pay 1.5k to John", due: "2026-11-30"),
        Case(
            text: "Run every day at 6:30am #health !medium",
            title: "Run",
            due: "2026-11-24 06:30",
            priority: .medium,
            tags: ["health"],
            rrule: "FREQ=DAILY"
        ),
        Case(text: "Bins every other week on tuesday", title: "Bins", due: "2026-11-24", rrule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"),
        Case(text: "Payroll every last day of the month", title: "Payroll", due: "2026-11-30", rrule: "FREQ=MONTHLY;BYMONTHDAY=-1"),
        // A weekday at its position in the month (Todoist: "every 3rd friday" is the third Friday of the month).
        Case(text: "Book club every 3rd friday at 7pm", title: "Book club", due: "2026-12-18 19:00", rrule: "FREQ=MONTHLY;BYDAY=FR;BYSETPOS=3"),
        Case(text: "water plants every second tuesday", title: "water plants", due: "2026-12-08", rrule: "FREQ=MONTHLY;BYDAY=TU;BYSETPOS=2"),
        Case(
            text: "Team retro on the last friday of every month 4pm",
            title: "Team retro",
            due: "2026-11-27 16:00",
            rrule: "FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1"
        ),
        Case(
            text: "Invoices every last weekday of the month",
            title: "Invoices",
            due: "2026-11-30",
            rrule: "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"
        ),
        Case(
            text: "Board meeting every month on the first monday 9am",
            title: "Board meeting",
            due: "2026-12-07 09:00",
            rrule: "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1"
        ),
        Case(text: "1:1 every 2 months on the 4th thursday", title: "1:1", due: "2026-11-26", rrule: "FREQ=MONTHLY;INTERVAL=2;BYDAY=TH;BYSETPOS=4"),
        Case(
            text: "Recycling the first and third monday of each month",
            title: "Recycling",
            due: "2026-12-07",
            rrule: "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1,3"
        ),
        Case(text: "Payroll monthly on the last friday", title: "Payroll", due: "2026-11-27", rrule: "FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1"),
        Case(text: "first monday of every month standup", title: "standup", due: "2026-12-07", rrule: "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1"),
        Case(text: "Pay the nanny every 2nd", title: "Pay the nanny", due: "2026-12-02", rrule: "FREQ=MONTHLY;BYMONTHDAY=2"),
        Case(text: "x every 2 tuesdays", title: "x", due: "2026-11-24", rrule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"),
        Case(
            text: "Payroll on the last business day of every month",
            title: "Payroll",
            due: "2026-11-30",
            rrule: "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"
        ),
        // "every evening" is every day at that time of day, unless a time is said.
        Case(text: "water the garden every evening at 7", title: "water the garden", due: "2026-11-23 19:00", rrule: "FREQ=DAILY"),
        Case(text: "journal every night", title: "journal", due: "2026-11-23 21:00", rrule: "FREQ=DAILY"),
        Case(text: "stretch every morning", title: "stretch", due: "2026-11-24 09:00", rrule: "FREQ=DAILY"),
        // The end of every month is its last day; "sometime" before a date says nothing more.
        Case(text: "review budget at the end of every month", title: "review budget", due: "2026-11-30", rrule: "FREQ=MONTHLY;BYMONTHDAY=-1"),
        Case(
            text: "pay the card on the last day of each month 6pm",
            title: "pay the card",
            due: "2026-11-30 18:00",
            rrule: "FREQ=MONTHLY;BYMONTHDAY=-1"
        ),
        Case(text: "update resume sometime next week", title: "update resume", due: "2026-11-30"),
        Case(text: "call the bank some time tomorrow", title: "call the bank", due: "2026-11-24"),
        Case(text: "sometime", title: "sometime"),
        // Days taken out of the rule, right after it or after the time.
        Case(text: "standup every weekday 9:15am except fridays", title: "standup", due: "2026-11-24 09:15", rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH"),
        Case(text: "walk the dog every day except sunday", title: "walk the dog", due: "2026-11-23", rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA"),
        Case(text: "run daily but not on weekends", title: "run", due: "2026-11-23", rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
        Case(text: "invite everyone except bob", title: "invite everyone except bob"),
        Case(text: "call Ann every week except mondays", title: "call Ann except mondays", due: "2026-11-23", rrule: "FREQ=WEEKLY"),
        // "7:30" is read as "at 7" is: the evening; with a leading zero or past 12, the 24-hour clock.
        Case(text: "dinner at 7:30", title: "dinner", due: "2026-11-23 19:30"),
        Case(text: "pick up the kids at 3:15 tomorrow", title: "pick up the kids", due: "2026-11-24 15:15"),
        Case(text: "train 07:30 tomorrow", title: "train", due: "2026-11-24 07:30"),
        Case(text: "review 9:30 tomorrow", title: "review", due: "2026-11-24 09:30"),
        // In a named month: once a year, first due in the next such month.
        Case(text: "Clocks change every last sunday of march", title: "Clocks change", due: "2027-03-28", rrule: "FREQ=YEARLY;BYDAY=SU;BYSETPOS=-1"),
        Case(
            text: "Thanksgiving every 4th thursday of november 3pm",
            title: "Thanksgiving",
            due: "2026-11-26 15:00",
            rrule: "FREQ=YEARLY;BYDAY=TH;BYSETPOS=4"
        ),
        Case(text: "Call mom every second sunday in may", title: "Call mom", due: "2027-05-09", rrule: "FREQ=YEARLY;BYDAY=SU;BYSETPOS=2"),
        Case(text: "Midnight snack at midnight", title: "Midnight snack", due: "2026-11-23 23:59"),
        Case(text: "Plan trip 2026-12-05", title: "Plan trip", due: "2026-12-05"),
        Case(text: "Birthday party Feb 30", title: "Birthday party Feb 30"),
        Case(text: "renew my passport before March", title: "renew my passport", due: "2027-02-28"),
        Case(text: "book flights by march", title: "book flights", due: "2027-03-01"),
        Case(text: "plan vacation in March", title: "plan vacation", due: "2027-03-31"),
        Case(text: "winter clean-up during november", title: "winter clean-up", due: "2026-11-30"),
        Case(text: "taxes before april 2028", title: "taxes", due: "2028-03-31"),
        Case(text: "finish slides by end of day", title: "finish slides", due: "2026-11-23"),
        Case(text: "finish slides eod", title: "finish slides", due: "2026-11-23"),
        Case(text: "renew insurance by the end of january", title: "renew insurance", due: "2027-01-31"),
        Case(text: "renew insurance end of january", title: "renew insurance", due: "2027-01-31"),
        Case(text: "Notes in May", title: "Notes", due: "2027-05-31"),
        Case(text: "Things may change", title: "Things may change"),
        Case(text: "Fix march bug", title: "Fix march bug"),
        Case(
            text: "every weekday at 8am remind me to check email",
            title: "Check email",
            due: "2026-11-24 08:00",
            rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            reminders: [0]
        ),
        Case(text: "tomorrow 9am remind me to call Bob", title: "Call Bob", due: "2026-11-24 09:00", reminders: [0]),
        Case(text: "tell Ann to remind me to call Bob", title: "tell Ann to remind me to call Bob"),
        Case(text: "remind me tomorrow at 5pm to call the plumber", title: "Call the plumber", due: "2026-11-24 17:00", reminders: [0]),
        Case(text: "remind me tomorrow at 9 about the invoice", title: "The invoice", due: "2026-11-24 09:00", reminders: [0]),
        Case(text: "remind me in 20 minutes to check the oven", title: "Check the oven", due: "2026-11-23 10:20", reminders: [0]),
        Case(text: "remind me at 5pm to call Bob", title: "Call Bob", due: "2026-11-23 17:00", reminders: [0]),
        Case(text: "remind me how to cook", title: "remind me how to cook"),
        Case(text: "Biweekly retro on thursdays at 3pm", title: "Biweekly retro", due: "2026-11-26 15:00", rrule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH"),
        Case(text: "team retro biweekly on thursday", title: "team retro", due: "2026-11-26", rrule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH"),
        Case(text: "pay estimated taxes quarterly", title: "pay estimated taxes", due: "2026-11-23", rrule: "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=23"),
        Case(text: "water the lawn every fortnight", title: "water the lawn", due: "2026-11-23", rrule: "FREQ=WEEKLY;INTERVAL=2"),
        Case(text: "Quarterly review", title: "Quarterly review"),
        Case(text: "put the kettle on", title: "put the kettle on"),
        Case(text: "remember to log in", title: "remember to log in"),
        Case(text: "turn the heating on", title: "turn the heating on"),
        Case(text: "pay rent on friday", title: "pay rent", due: "2026-11-27"),
        Case(text: "water plants every tuesday eve", title: "water plants", due: "2026-11-24 18:00", rrule: "FREQ=WEEKLY;BYDAY=TU"),
        Case(text: "call grandma friday eve", title: "call grandma", due: "2026-11-27 18:00"),
        // A day of the month that is today's is today, as "nov 23" is.
        Case(text: "pay gas bill on the 23rd", title: "pay gas bill", due: "2026-11-23"),
        Case(text: "pay gas bill on the 22nd", title: "pay gas bill", due: "2026-12-22"),
    ]

    @Test("slashed dates are day first where the reader's language writes so, unless only the other order is a date")
    func dayFirstDates() {
        let paris = zone("Europe/Paris")
        func due(_ text: String, dayFirst: Bool) -> String? {
            QuickAddParser.$dayFirst.withValue(dayFirst) {
                let result = QuickAddParser(now: Self.now, timeZone: paris).parse(text)
                return result.dueAt.map { result.allDay ? String(wallClock($0, paris).prefix(10)) : wallClock($0, paris) }
            }
        }
        #expect(due("dentist on 3/1 at 2pm", dayFirst: true) == "2027-01-03 14:00")
        #expect(due("dentist on 3/1 at 2pm", dayFirst: false) == "2027-03-01 14:00")
        #expect(due("haircut on 10/12", dayFirst: true) == "2026-12-10")
        #expect(due("party on 12/25", dayFirst: true) == "2026-12-25")
        #expect(due("party on 25/12", dayFirst: false) == "2026-12-25")
        #expect(HourCycle.dayFirst(acceptLanguage: "en-GB,en;q=0.9") && HourCycle.dayFirst(acceptLanguage: "de-DE"))
        #expect(!HourCycle.dayFirst(acceptLanguage: "en-US") && !HourCycle.dayFirst(acceptLanguage: nil))
    }

    @Test("phrases people type", arguments: cases)
    func phrases(_ example: Case) {
        let paris = zone("Europe/Paris")
        let result = QuickAddParser(now: Self.now, timeZone: paris).parse(example.text)
        #expect(result.title == example.title)
        let due = result.dueAt.map { result.allDay ? String(wallClock($0, paris).prefix(10)) : wallClock($0, paris) }
        #expect(due == example.due)
        #expect(result.priority == example.priority)
        #expect(result.tags.sorted() == example.tags.sorted())
        #expect(result.recurrence?.rrule == example.rrule)
        #expect((result.recurrence?.fromCompletion ?? false) == example.fromCompletion)
        #expect(result.reminders == example.reminders.map { .beforeDue(minutes: $0) })
    }

    @Test("every weekday name and prefix, from every day of a week")
    func weekdaysFromEveryDay() {
        let utc = zone("UTC")
        for offset in 0..<7 {
            let now = local("2026-11-23T10:00").addingTimeInterval(Double(offset) * 86_400)
            let parser = QuickAddParser(now: now, timeZone: utc)
            let todayIndex = (offset % 7) + 1 // Monday is 1
            for day in Weekday.allCases {
                let ahead = (day.rawValue - todayIndex + 7) % 7
                let plain = parser.parse("Task \(day.name)")
                #expect(plain.title == "Task")
                #expect(
                    plain.dueAt == Calendar.taskpilot(utc).startOfDay(for: now).addingTimeInterval(Double(ahead) * 86_400),
                    "\(day.name) from day \(offset)"
                )
                let next = parser.parse("Task next \(day.name.lowercased())")
                let mondayNextWeek = 7 - (todayIndex - 1)
                #expect(
                    next.dueAt == Calendar.taskpilot(utc).startOfDay(for: now).addingTimeInterval(Double(mondayNextWeek + day.rawValue - 1) * 86_400),
                    "next \(day.name) from day \(offset)"
                )
                let every = parser.parse("Task every \(day.name) at 11:00")
                #expect(every.recurrence?.byWeekday == [day])
                #expect(every.dueAt.map { Calendar.taskpilot(utc).component(.weekday, from: $0) } == day.calendarWeekday)
                #expect(every.dueAt.map { $0 > now } == true)
            }
        }
    }

    @Test("every month name with a day, before and after today")
    func monthNames() {
        let utc = zone("UTC")
        let parser = QuickAddParser(now: local("2026-06-15T10:00"), timeZone: utc)
        let names = ["jan", "february", "Mar", "april", "May", "jun", "July", "aug", "sept", "October", "nov", "DEC"]
        for (index, name) in names.enumerated() {
            let month = index + 1
            let year = month <= 6 ? 2027 : 2026
            for text in ["Thing \(name) 10", "Thing 10 \(name)", "Thing 10th of \(name)", "Thing on \(name) 10th"] {
                let result = parser.parse(text)
                #expect(result.title == "Thing", "\(text)")
                #expect(result.dueAt.map { wallClock($0, utc) } == String(format: "%04d-%02d-10 00:00", year, month), "\(text)")
                #expect(result.allDay)
            }
        }
    }

    @Test("dates follow the user's zone: 'tomorrow' just after midnight, DST days, month ends")
    func edgeDates() {
        let paris = zone("Europe/Paris")
        let afterMidnight = QuickAddParser(now: local("2026-11-24T00:30", paris), timeZone: paris).parse("call tomorrow 9am")
        #expect(afterMidnight.dueAt.map { wallClock($0, paris) } == "2026-11-25 09:00")
        let berlin = zone("Europe/Berlin")
        let dst = QuickAddParser(now: local("2026-03-28T10:00", berlin), timeZone: berlin).parse("standup tomorrow 9am")
        #expect(dst.dueAt.map(Timestamp.format) == "2026-03-29T07:00:00Z")
        let monthEnd = QuickAddParser(now: local("2026-01-31T10:00"), timeZone: zone("UTC")).parse("pay in 1 month")
        #expect(monthEnd.dueAt.map { wallClock($0) } == "2026-02-28 00:00")
        let leap = QuickAddParser(now: local("2028-02-10T10:00"), timeZone: zone("UTC")).parse("pay end of month")
        #expect(leap.dueAt.map { wallClock($0) } == "2028-02-29 00:00")
        let newYear = QuickAddParser(now: local("2026-12-31T22:00"), timeZone: zone("UTC")).parse("party tomorrow")
        #expect(newYear.dueAt.map { wallClock($0) } == "2027-01-01 00:00")
        let tokyo = zone("Asia/Tokyo")
        let lateEvening = QuickAddParser(now: local("2026-11-23T16:00:00Z"), timeZone: tokyo).parse("report today")
        #expect(lateEvening.dueAt.map { wallClock($0, tokyo) } == "2026-11-24 00:00")
    }

    @Test("late on a Friday: 'move it to friday' keeping a passed time is next Friday's; 'tonight' is the next quarter hour")
    func lateInTheDay() throws {
        let newYork = zone("America/New_York")
        // Friday 4 December 2026, 22:47 in New York.
        let parser = QuickAddParser(now: local("2026-12-04T22:47", newYork), timeZone: newYork)
        let thursday = local("2026-12-10T14:00", newYork)
        let moved = try #require(parser.movedDue(from: thursday, allDay: false, to: parser.parse("friday"), onlyTime: false))
        #expect(wallClock(moved.date, newYork) == "2026-12-11 14:00" && !moved.allDay)
        // A time still to come today stays today; an all-day task moves to today.
        let late = local("2026-12-10T23:30", newYork)
        let today = try #require(parser.movedDue(from: late, allDay: false, to: parser.parse("friday"), onlyTime: false))
        #expect(wallClock(today.date, newYork) == "2026-12-04 23:30")
        let allDay = try #require(parser.movedDue(from: thursday, allDay: true, to: parser.parse("friday"), onlyTime: false))
        #expect(wallClock(allDay.date, newYork) == "2026-12-04 00:00" && allDay.allDay)
        for text in ["take out the bins tonight", "call grandma this evening"] {
            let result = parser.parse(text)
            #expect(result.dueAt.map { wallClock($0, newYork) } == "2026-12-04 23:00", "\(text)")
        }
        #expect(parser.parse("laundry tonight at 9").dueAt.map { wallClock($0, newYork) } == "2026-12-04 21:00")
        let earlier = QuickAddParser(now: local("2026-12-04T15:10", newYork), timeZone: newYork)
        #expect(earlier.parse("bins tonight").dueAt.map { wallClock($0, newYork) } == "2026-12-04 20:00")
    }

    @Test("'remind me at 9am' is 9:00 of the due day, the day before when the task is due earlier, the next 9:00 without a due date")
    func reminderAtATime() {
        let paris = zone("Europe/Paris")
        let parser = QuickAddParser(now: Self.now, timeZone: paris)
        func at(_ text: String) -> [String] {
            parser.parse(text).reminders.compactMap { if case .at(let date) = $0 { wallClock(date, paris) } else { nil } }
        }
        #expect(at("dentist friday 3pm remind me at 9am") == ["2026-11-27 09:00"])
        #expect(at("remind me at 9am dentist friday 3pm") == ["2026-11-27 09:00"])
        #expect(at("flight thursday 8am remind me at 9pm") == ["2026-11-25 21:00"])
        #expect(at("call bob remind me at 9am") == ["2026-11-24 09:00"])
        #expect(at("call bob remind me at 11am") == ["2026-11-23 11:00"])
    }

    @Test("the result becomes a valid task")
    func toTask() throws {
        let paris = zone("Europe/Paris")
        let result = QuickAddParser(now: Self.now, timeZone: paris).parse("Pay rent every month on the 1st 9am p1 #home remind me 1 day before")
        let task = try TaskItem.blank(userID: UUID(), now: Self.now).applying(result.changes, now: Self.now, timeZone: paris)
        #expect(task.title == "Pay rent")
        #expect(task.recurrence?.text() == "every month on the 1st")
        #expect(task.reminders.first?.fireAt.map { wallClock($0, paris) } == "2026-11-30 09:00")
        #expect(task.tags == ["home"])
    }
}
