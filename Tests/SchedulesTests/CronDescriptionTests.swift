import Testing

@testable import Schedules

/// What the dashboard shows for an expression.
@Suite struct CronDescriptionTests {
    @Test(arguments: [
        // Paces.
        ("* * * * *", "Every minute"),
        ("*/15 * * * *", "Every 15 minutes"),
        ("*/1 * * * *", "Every minute"),
        ("0 * * * *", "Every hour"),
        ("@hourly", "Every hour"),
        ("30 * * * *", "At minute 30 past every hour"),
        ("0 */2 * * *", "At minute 0 past every 2nd hour"),
        ("15,45 */3 * * *", "At minutes 15 and 45 past every 3rd hour"),
        ("*/5 */2 * * *", "Every 5 minutes during every 2nd hour"),
        ("*/15 9-17 * * *", "Every 15 minutes from 09:00 through 17:45"),
        ("* 9 * * *", "Every minute from 09:00 through 09:59"),
        ("*/10 9-17 * * 1-5", "Every 10 minutes from 09:00 through 17:50 on Monday through Friday"),
        // Times of day.
        ("30 9 * * *", "At 09:30 every day"),
        ("@daily", "At 00:00 every day"),
        ("0 9,17 * * *", "At 09:00 and 17:00 every day"),
        ("0,30 8,12,18 * * *", "At 08:00, 08:30, 12:00, 12:30, 18:00 and 18:30 every day"),
        ("30 9 * * 1-5", "At 09:30 on Monday through Friday"),
        ("0 10 * * sat,sun", "At 10:00 on Saturday and Sunday"),
        ("0 10 * * 5-7", "At 10:00 on Friday through Sunday"),
        ("0 8 * * 1,3,5", "At 08:00 on Monday, Wednesday and Friday"),
        ("@weekly", "At 00:00 on Sunday"),
        ("0 0 * * */2", "At 00:00 on Tuesday, Thursday, Saturday and Sunday"),
        // Days of the month and months.
        ("@monthly", "At 00:00 on day 1 of the month"),
        ("0 0 1,15 * *", "At 00:00 on days 1 and 15 of the month"),
        ("0 0 1-7 * *", "At 00:00 on days 1 through 7 of the month"),
        ("0 6 */2 * *", "At 06:00 on every 2nd day of the month"),
        ("@yearly", "At 00:00 on January 1"),
        ("0 12 29 2 *", "At 12:00 on February 29"),
        ("0 0 1 */3 *", "At 00:00 on day 1 of the month in January, April, July and October"),
        ("0 0 1 1,7 *", "At 00:00 on day 1 of the month in January and July"),
        ("0 0 * 3-5 *", "At 00:00 every day in March through May"),
        ("0 9 * 12 1-5", "At 09:00 on Monday through Friday in December"),
        // The day rule.
        ("0 0 1 * 1", "At 00:00 on day 1 of the month or on Monday"),
        ("0 0 13 * 5", "At 00:00 on day 13 of the month or on Friday"),
        ("0 0 */2 * 1", "At 00:00 on every 2nd day of the month if it is Monday"),
        ("0 0 29 2 */6", "At 00:00 on day 29 of the month if it is Saturday or Sunday in February"),
        // The rest, field by field.
        ("0-10 * * * *", "At minutes 0 through 10 past every hour"),
        ("5-59/15 * * * *", "Every 15 minutes from minute 5 through 59"),
        ("5,10 9,12 * * *", "At 09:05, 09:10, 12:05 and 12:10 every day"),
        ("0 0-3,22 * * *", "At minute 0 past hours 0 through 3 and 22"),
        ("*/20 1,13 * * *", "Every 20 minutes during hours 1 and 13"),
        ("0,5,10,15 1,2 * * *", "At minutes 0, 5, 10 and 15 past hours 1 and 2"),
    ])
    func describes(text: String, description: String) throws {
        #expect(try CronExpression(text).description == description)
    }

    @Test(arguments: [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (13, "13th"), (21, "21st"), (22, "22nd"), (23, "23rd")])
    func ordinals(number: Int, text: String) {
        #expect(CronExpression.ordinal(number) == text)
    }

    /// Descriptions are made of parsed numbers and fixed words only.
    @Test func neverEchoesTheInput() throws {
        let expression = try CronExpression("0 9 * * mon\t")
        #expect(expression.description == "At 09:00 on Monday")
        #expect(!expression.description.contains("mon"))
    }
}
