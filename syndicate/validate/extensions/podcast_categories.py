"""The podcast directories' category lists, by category, each with its subcategories.

Apple Podcasts' list since 2019, https://podcasters.apple.com/support/1691-apple-podcasts-categories;
the list it replaced (Apple's podcast specification of 2005 to 2019), whose names feeds
still carry; and Google Play's list (https://support.google.com/googleplay/podcasts/answer/6260341).
Names are matched exactly: Apple says its category names are case sensitive.
"""

from __future__ import annotations

APPLE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Arts": ("Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"),
    "Business": (
        "Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit",
    ),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": (
        "Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition", "Sexuality",
    ),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": (
        "Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies",
        "Home & Garden", "Video Games",
    ),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": (
        "Business News", "Daily News", "Entertainment News", "News Commentary", "Politics",
        "Sports News", "Tech News",
    ),
    "Religion & Spirituality": (
        "Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Religion", "Spirituality",
    ),
    "Science": (
        "Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics",
        "Natural Sciences", "Nature", "Physics", "Social Sciences",
    ),
    "Society & Culture": (
        "Documentary", "Personal Journals", "Philosophy", "Places & Travel", "Relationships",
    ),
    "Sports": (
        "Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf", "Hockey",
        "Rugby", "Running", "Soccer", "Swimming", "Tennis", "Volleyball", "Wilderness",
        "Wrestling",
    ),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"),
}  # fmt: skip

# Categories and subcategories Apple has retired, under the category they stood in.
RETIRED_APPLE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Arts": ("Literature",),
    "Arts & Entertainment": (
        "Architecture", "Design", "Entertainment", "Games", "Performing Arts", "Photography",
        "Poetry", "Science Fiction",
    ),
    "Audio Blogs": (),
    "Business": (
        "Careers", "Finance", "Investing", "Management & Marketing", "News", "Shopping",
    ),
    "Comedy": (),
    "Education": (
        "Education Technology", "Higher Education", "K-12", "Language Courses", "Training",
    ),
    "Family": (),
    "Food": (),
    "Games & Hobbies": ("Automotive", "Aviation", "Hobbies", "Other Games", "Video Games"),
    "Government & Organizations": ("Local", "National", "Non-Profit", "Regional"),
    "Health": (
        "Alternative Health", "Diet & Nutrition", "Fitness", "Fitness & Nutrition",
        "Relationships", "Self-Help", "Sexuality",
    ),
    "International": (
        "Australian", "Belgian", "Brazilian", "Canadian", "Chinese", "Dutch", "French",
        "German", "Hebrew", "Italian", "Japanese", "Norwegian", "Polish", "Portuguese",
        "Spanish", "Swedish",
    ),
    "Movies & Television": (),
    "News & Politics": (),
    "Politics": (),
    "Public Radio": (),
    "Religion & Spirituality": (
        "Buddhism", "Christianity", "Islam", "Judaism", "New Age", "Philosophy", "Other",
        "Spirituality",
    ),
    "Science & Medicine": ("Medicine", "Natural Sciences", "Social Sciences"),
    "Society & Culture": ("History",),
    "Sports & Recreation": ("Amateur", "College & High School", "Outdoor", "Professional"),
    "Talk Radio": (),
    "Technology": (
        "Computers", "Developers", "Gadgets", "Information Technology", "News",
        "Operating Systems", "Podcasting", "Smart Phones", "Software How-To", "Tech News",
        "Text/Speech",
    ),
    "Transportation": ("Automotive", "Aviation", "Bicycles", "Commuting"),
    "Travel": (),
}  # fmt: skip

GOOGLE_PLAY_CATEGORIES = frozenset(
    {
        "Arts", "Business", "Comedy", "Education", "Games & Hobbies",
        "Government & Organizations", "Health", "Kids & Family", "Music", "News & Politics",
        "Religion & Spirituality", "Science & Medicine", "Society & Culture",
        "Sports & Recreation", "Technology", "TV & Film",
    }
)  # fmt: skip
