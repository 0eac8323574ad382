"""Fixed ids of the campaign's own accounts in the sandbox (config/campaigns/sandbox.toml)."""

X_ACCOUNT_ID = "1600000000000000001"
# the campaign account is the one participants tag (@UNESCO): X lets an app reply only to
# posts that mention it (see sandbox/x_api.py create_tweet)
X_ACCOUNT_USERNAME = "UNESCO"
YOUTUBE_PLAYLIST_ID = "PLstorydeskLearningNeverStops"
IG_USER_ID = "17841400000000001"
FACEBOOK_PAGE_ID = "100000000000001"
FACEBOOK_PAGE_USERNAME = "UNESCO"
GRAPH_VERSION = "v25.0"
LINKEDIN_AUTHOR = "urn:li:organization:1000001"
HASHTAGS = ("LearningNeverStops", "CitiesOfLearning", "RegionsOfLearning")
MENTION = "UNESCO"
CAMPAIGN_START_YEAR = 2026
