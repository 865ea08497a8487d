package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/saleshive/crmsync"
)

var (
	firstNames = []string{"Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "James", "Isabella", "Lucas",
		"Mia", "Mateo", "Amelia", "Benjamin", "Harper", "Henry", "Evelyn", "Theodore", "Abigail", "Jack",
		"Emily", "Levi", "Ella", "Alexander", "Elizabeth", "Jackson", "Camila", "Samuel", "Luna", "Daniel",
		"Sofia", "Michael", "Avery", "Owen", "Mila", "Sebastian", "Aria", "Ethan", "Scarlett", "Wyatt",
		"Priya", "Wei", "Aisha", "Diego", "Hiroshi", "Fatima", "Ravi", "Ingrid", "Kwame", "Marta"}
	lastNames = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
		"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
		"Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
		"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
		"Patel", "Chen", "Okafor", "Kowalski", "Tanaka", "Haddad", "Larsen", "Mensah", "O'Brien", "Novak"}
	companies = []struct{ name, domain string }{
		{"Northwind Logistics", "northwind-logistics.example"}, {"Brightline Health", "brightlinehealth.example"},
		{"Cobalt Robotics", "cobaltrobotics.example"}, {"Evergreen Foods", "evergreenfoods.example"},
		{"Summit Analytics", "summitanalytics.example"}, {"Bluewater Marine", "bluewatermarine.example"},
		{"Ironclad Security", "ironcladsec.example"}, {"Lumen Energy", "lumenenergy.example"},
		{"Redwood Capital", "redwoodcap.example"}, {"Pioneer Manufacturing", "pioneermfg.example"},
		{"Atlas Freight", "atlasfreight.example"}, {"Quantum Payroll", "quantumpayroll.example"},
		{"Harbor Legal", "harborlegal.example"}, {"Vertex Cloud", "vertexcloud.example"},
		{"Granite Construction Partners", "granitecp.example"}, {"Sparrow Education", "sparrowedu.example"},
		{"Meridian Hotels", "meridianhotels.example"}, {"Copperleaf Software", "copperleaf.example"},
		{"Falcon Aerospace", "falconaero.example"}, {"Willow Insurance", "willowins.example"},
		{"Keystone Retail", "keystoneretail.example"}, {"Orbit Telecom", "orbittelecom.example"},
		{"Sterling Biotech", "sterlingbio.example"}, {"Maple Street Realty", "maplestreetrealty.example"},
		{"Crescent Media", "crescentmedia.example"}, {"Trailhead Outdoor", "trailheadoutdoor.example"},
		{"Beacon Staffing", "beaconstaffing.example"}, {"Silverline Fintech", "silverline.example"},
		{"Nimbus Data", "nimbusdata.example"}, {"Oakridge Medical", "oakridgemedical.example"},
	}
	titles = []string{"VP of Sales", "Director of Marketing", "Head of Operations", "Chief Revenue Officer", "Sales Manager",
		"Account Executive", "IT Director", "Procurement Manager", "CFO", "CEO", "Head of Growth",
		"Business Development Manager", "Operations Analyst", "Director of Engineering", "Office Manager",
		"Customer Success Lead", "Marketing Coordinator", "VP of Finance", "HR Director", "Founder"}
	cities = []struct{ city, state string }{
		{"Austin", "TX"}, {"Denver", "CO"}, {"Chicago", "IL"}, {"Seattle", "WA"}, {"Atlanta", "GA"},
		{"Boston", "MA"}, {"Phoenix", "AZ"}, {"Nashville", "TN"}, {"Raleigh", "NC"}, {"Columbus", "OH"},
		{"San Diego", "CA"}, {"Portland", "OR"}, {"Minneapolis", "MN"}, {"Miami", "FL"}, {"Salt Lake City", "UT"},
	}
	leadSources = []string{"Cold email", "Cold call", "LinkedIn", "Referral", "Webinar"}
)

// contactSourceID is the platform id of the demo's i-th contact.
func contactSourceID(i int) string { return fmt.Sprintf("demo-contact-%05d", i) }

// Contacts returns the demo's n contacts. The same n always gives the same
// contacts (the generator is seeded), so a restart upserts, never adds.
func Contacts(n int) []*crmsync.Contact {
	r := rand.New(rand.NewPCG(2026, 11))
	out := make([]*crmsync.Contact, n)
	for i := range out {
		first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
		co := companies[r.IntN(len(companies))]
		place := cities[r.IntN(len(cities))]
		local := strings.ToLower(first + "." + strings.ReplaceAll(last, "'", ""))
		out[i] = &crmsync.Contact{
			SourceID:   contactSourceID(i),
			FirstName:  first,
			LastName:   last,
			Email:      fmt.Sprintf("%s%d@%s", local, i, co.domain),
			Phone:      fmt.Sprintf("+1 555 %03d %04d", 100+r.IntN(900), r.IntN(10000)),
			Title:      titles[r.IntN(len(titles))],
			Company:    co.name,
			Website:    "https://www." + co.domain,
			City:       place.city,
			State:      place.state,
			Country:    "United States",
			LeadSource: leadSources[r.IntN(len(leadSources))],
		}
	}
	return out
}

var (
	emailSubjects = []string{"Quick question about your Q%d pipeline", "Following up on our call", "Ideas for %s's outbound team",
		"Re: pricing for %s", "Case study: how teams like %s book more meetings", "Intro from SalesHive"}
	callOutcomes   = []string{"connected", "left voicemail", "no answer", "wrong number", "gatekeeper"}
	meetingTopics  = []string{"Discovery call", "Product demo", "Pricing review", "Kickoff", "Quarterly business review"}
	callNotes      = []string{"Interested; asked for a follow-up next week.", "Not the right person; referred to the VP of Sales.", "Busy this quarter; call back in 60 days.", "Requested a case study by email."}
	meetingAgendas = []string{"Walk through current outbound process and goals.", "Live demo of the platform, then Q&A.", "Review proposal and next steps."}
)

// newActivity returns a realistic email, call or meeting with contact i,
// happening at now.
func newActivity(r *rand.Rand, i int, now time.Time, company string) *crmsync.Activity {
	a := &crmsync.Activity{
		SourceID:        fmt.Sprintf("demo-activity-%d-%d", now.UnixNano(), r.IntN(1_000_000)),
		ContactSourceID: contactSourceID(i),
		OccurredAt:      now.UTC().Truncate(time.Second),
	}
	switch r.IntN(3) {
	case 0:
		a.Kind = crmsync.ActivityEmail
		a.Direction = crmsync.DirectionOutbound
		if r.IntN(4) == 0 {
			a.Direction = crmsync.DirectionInbound
		}
		subject := emailSubjects[r.IntN(len(emailSubjects))]
		switch strings.Count(subject, "%") {
		case 1:
			if strings.Contains(subject, "%d") {
				subject = fmt.Sprintf(subject, 1+int(now.Month()-1)/3)
			} else {
				subject = fmt.Sprintf(subject, company)
			}
		}
		a.Subject = subject
		a.Body = "Hi,\n\nSharing a few thoughts on how " + company + " could book more qualified meetings this quarter.\n\nBest,\nThe SalesHive team"
	case 1:
		a.Kind = crmsync.ActivityCall
		a.Direction = crmsync.DirectionOutbound
		a.Subject = "Call with " + company
		a.Outcome = callOutcomes[r.IntN(len(callOutcomes))]
		a.DurationSeconds = 30 + r.IntN(900)
		a.Body = callNotes[r.IntN(len(callNotes))]
	default:
		a.Kind = crmsync.ActivityMeeting
		a.Subject = meetingTopics[r.IntN(len(meetingTopics))] + " with " + company
		a.DurationSeconds = 30 * 60
		end := a.OccurredAt.Add(30 * time.Minute)
		a.EndsAt = &end
		a.Body = meetingAgendas[r.IntN(len(meetingAgendas))]
	}
	return a
}
